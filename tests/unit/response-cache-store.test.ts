import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryResponseCacheStore, type ResponseCacheStore } from '../../gateway/response-cache/cache-store.js';
import { createGuardedCache } from '../../gateway/response-cache/guarded-cache.js';
import { RedisResponseCacheStore } from '../../gateway/response-cache/redis-cache-store.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { eventually } from '../support/until.js';

/** The contract every response cache store keeps, run against memory and (with REDIS_URL) Redis. */

const logger = createLogger({ level: 'silent', pretty: false });
const redisUrl = process.env.REDIS_URL;

const redisStore = (url: string, prefix: string, keptEntries = 0) =>
  new RedisResponseCacheStore({ url, logger, commandTimeoutMs: 1000, maxTtlMs: 60_000, guardMs: 60_000, prefix, keptEntries });
const freshPrefix = () => `test-${randomBytes(4).toString('hex')}:`;

const stores: [string, () => ResponseCacheStore][] = [
  ['memory', () => new MemoryResponseCacheStore({ maxEntries: 100 })],
  ...(redisUrl
    ? ([
        ['redis', () => redisStore(redisUrl, freshPrefix())],
        ['redis with responses kept in process', () => redisStore(redisUrl, freshPrefix(), 100)],
      ] as [string, () => ResponseCacheStore][])
    : []),
];

/** Redis connects asynchronously and the cache client does not queue: wait until it answers. */
async function ready(store: ResponseCacheStore): Promise<void> {
  await eventually(async () => {
    await store.lookup('ping');
    return true;
  }, 2000);
}

describe.each(stores)('%s store', (_name, open) => {
  let store: ResponseCacheStore;
  beforeAll(async () => {
    store = open();
    await ready(store);
  });
  afterAll(() => store?.close());

  it('returns what it stored until an entity in it is invalidated, by id or by type', async () => {
    const { epoch } = await store.lookup('a');
    expect(await store.store('a', '{"data":1}', ['Post', 'Post:1', 'User:9'], 10_000, epoch)).toBe(true);
    expect(await store.store('b', '{"data":2}', ['Post', 'Post:2'], 10_000, epoch)).toBe(true);
    expect(await store.store('c', '{"data":3}', ['PostConnection'], 10_000, epoch)).toBe(true);
    expect((await store.lookup('a')).json).toBe('{"data":1}');

    await store.invalidate([{ typename: 'User', id: '9' }]);
    expect((await store.lookup('a')).json).toBeNull();
    expect((await store.lookup('b')).json).toBe('{"data":2}');

    await store.invalidate([{ typename: 'PostConnection' }]);
    expect((await store.lookup('c')).json).toBeNull();
    expect((await store.lookup('b')).json).toBe('{"data":2}');
  });

  it('refuses a result looked up before an invalidation of one of its entities', async () => {
    const before = await store.lookup('race');
    // A mutation commits and invalidates Post:7 while this query is still running…
    await store.invalidate([{ typename: 'Post', id: '7' }]);
    // …so what the query read may be the old value: it must not be stored.
    expect(await store.store('race', '{"old":true}', ['Post:7'], 10_000, before.epoch)).toBe(false);
    expect((await store.lookup('race')).json).toBeNull();
    // Entities that were not invalidated do not hold a result back.
    expect(await store.store('other', '{"ok":true}', ['Post:8'], 10_000, before.epoch)).toBe(true);
    // A lookup after the invalidation may store.
    const after = await store.lookup('race');
    expect(await store.store('race', '{"new":true}', ['Post:7'], 10_000, after.epoch)).toBe(true);
    expect((await store.lookup('race')).json).toBe('{"new":true}');
  });

  it('forgets a response when its TTL ends', async () => {
    const { epoch } = await store.lookup('short');
    await store.store('short', '{}', ['Post:3'], 30, epoch);
    // The expiry is what is tested: only time makes a 30 ms TTL run out.
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await store.lookup('short')).json).toBeNull();
  });
});

describe.runIf(redisUrl)('responses kept in process in front of Redis', () => {
  const url = redisUrl as string;
  const opened: { close(): Promise<void> }[] = [];
  const open = <T extends { close(): Promise<void> }>(thing: T): T => {
    opened.push(thing);
    return thing;
  };
  afterAll(async () => {
    for (const thing of opened) await thing.close();
  });
  /** A client of its own, to change what the stores read behind their backs. */
  const rawRedis = () => {
    const redis = new Redis(url);
    opened.push({ close: async () => redis.disconnect() });
    return redis;
  };

  it('are served from memory while the epoch stands, and read again from Redis once anything is invalidated', async () => {
    const prefix = freshPrefix();
    const kept = open(redisStore(url, prefix, 100));
    const plain = open(redisStore(url, prefix));
    const redis = rawRedis();
    await ready(kept);
    await ready(plain);
    const { epoch } = await kept.lookup('k');
    expect(await kept.store('k', '{"v":1}', ['Post:1'], 10_000, epoch)).toBe(true);
    // Changed behind the stores' backs, without an invalidation: only a copy in memory still says 1.
    await redis.set(`${prefix}r:k`, '{"v":2}', 'PX', 10_000);
    expect((await kept.lookup('k')).json).toBe('{"v":1}');
    expect((await plain.lookup('k')).json).toBe('{"v":2}');
    // Another instance invalidates something else: the epoch moves, the copy is read again.
    await plain.invalidate([{ typename: 'Post', id: '99' }]);
    expect((await kept.lookup('k')).json).toBe('{"v":2}');
    await redis.set(`${prefix}r:k`, '{"v":3}', 'PX', 10_000);
    expect((await kept.lookup('k')).json).toBe('{"v":2}');
    // Another instance invalidates what it holds: gone for both.
    await plain.invalidate([{ typename: 'Post', id: '1' }]);
    expect((await kept.lookup('k')).json).toBeNull();
    expect((await plain.lookup('k')).json).toBeNull();
  });

  it('live no longer than Redis keeps them', async () => {
    const prefix = freshPrefix();
    const kept = open(redisStore(url, prefix, 100));
    const redis = rawRedis();
    await ready(kept);
    await redis.set(`${prefix}r:short`, '{"short":true}', 'PX', 60);
    // Read from Redis with its remaining TTL, then served from memory until that runs out.
    expect((await kept.lookup('short')).json).toBe('{"short":true}');
    await redis.set(`${prefix}r:short`, '{"short":"changed"}', 'KEEPTTL');
    expect((await kept.lookup('short')).json).toBe('{"short":true}');
    // The expiry is what is tested: only time makes a 60 ms TTL run out.
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await kept.lookup('short')).json).toBeNull();
  });
});

describe('a cache whose Redis does not answer', () => {
  /** Accepts connections and never says a word: a hung Redis. */
  let blackHole: Server;
  const sockets: Socket[] = [];
  let port: number;
  beforeAll(async () => {
    blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    port = (blackHole.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
  });

  it('answers every lookup as a miss, without throwing or waiting for Redis', async () => {
    const store = new RedisResponseCacheStore({
      url: `redis://127.0.0.1:${port}`,
      logger,
      commandTimeoutMs: 50,
      maxTtlMs: 60_000,
      guardMs: 60_000,
      prefix: 'unused:',
    });
    const counted = { hit: 0, miss: 0, error: 0 };
    const cache = createGuardedCache(store, {
      logger,
      guardMs: 60_000,
      counters: { hit: () => counted.hit++, miss: () => counted.miss++, error: () => counted.error++ },
    });
    try {
      const started = Date.now();
      expect(await cache.get('key')).toBeNull();
      await cache.set('key', { data: { a: 1 } }, [{ typename: 'Post', id: '1' }], 1000);
      await cache.invalidate([{ typename: 'Post', id: '1' }]);
      // Generous: the point is "not the default 10 s of a queued command", not a speed target.
      expect(Date.now() - started).toBeLessThan(2000);
      expect(counted).toEqual({ hit: 0, miss: 1, error: 2 });
    } finally {
      await store.close();
    }
  });
});
