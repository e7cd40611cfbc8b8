import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type KeyValueStore, openKeyValueStore } from '../../lib/infra/key-value-store.js';
import { findOnlineUsers, PRESENCE_TTL_SECONDS, presenceKey } from '../../lib/infra/presence.js';

/** A logger whose lines the test reads. */
function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('presence reads', () => {
  it('answer everyone offline while the store fails, logging the outage once and the recovery once', async () => {
    const memory = openKeyValueStore(undefined, pino({ level: 'silent' }));
    let failing = true;
    // Presence reads only mget: a store that fails like RedisStore while its connection is lost.
    const store = {
      kind: 'redis',
      async mget(keys: readonly string[]) {
        if (failing) throw new Error('Redis is unreachable (reconnecting)');
        return memory.mget(keys);
      },
    } as KeyValueStore;
    await memory.set(presenceKey('a'), 'instance', PRESENCE_TTL_SECONDS);
    const { lines, logger } = capturingLogger();

    for (let i = 0; i < 5; i++) expect(await findOnlineUsers(store, ['a', 'b'], logger)).toEqual(new Set());
    failing = false;
    for (let i = 0; i < 3; i++) expect(await findOnlineUsers(store, ['a', 'b'], logger)).toEqual(new Set(['a']));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map(({ level, msg }) => ({ level, msg }))).toEqual([
      { level: 40, msg: 'presence unavailable: every user reads as offline until the store answers again' },
      { level: 30, msg: 'presence available again' },
    ]);
  });
});
