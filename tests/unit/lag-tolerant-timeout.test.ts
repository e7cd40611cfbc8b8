import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { lagTolerantTimeout, TimeoutError } from '../../gateway/lag-tolerant-timeout.js';

/** Keeps the event loop busy for `ms`, as a saturated process does. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('lagTolerantTimeout', () => {
  it('passes a value or an error through', async () => {
    await expect(lagTolerantTimeout(Promise.resolve(7), 50, 'x')).resolves.toBe(7);
    await expect(lagTolerantTimeout(Promise.reject(new Error('no')), 50, 'x')).rejects.toThrow('no');
  });

  it('gives up on an answer that never comes', async () => {
    await expect(lagTolerantTimeout(new Promise(() => undefined), 20, 'Redis')).rejects.toBeInstanceOf(TimeoutError);
  });

  it('takes an answer that arrived while the event loop was too busy to read it', async () => {
    // The echo server runs in its own process, as Redis does: it answers while this one is busy.
    const server = spawn(
      process.execPath,
      [
        '-e',
        "const s = require('node:net').createServer((c) => { c.on('data', (d) => c.write(d)); c.on('error', () => {}); });" +
          "s.listen(0, '127.0.0.1', () => console.log(s.address().port));",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [port] = (await once(server.stdout, 'data')) as [Buffer];
      const client: Socket = connect(Number(String(port).trim()), '127.0.0.1');
      client.on('error', () => undefined);
      await once(client, 'connect');
      const reply = once(client, 'data').then(([data]) => String(data));
      const timed = lagTolerantTimeout(reply, 20, 'echo');
      client.write('pong');
      // The echo comes back within a millisecond, but nothing here can read it for 100 ms: by
      // then the 20 ms timer is due as well, and timers run before the poll phase reads sockets.
      blockFor(100);
      await expect(timed).resolves.toBe('pong');
      client.destroy();
    } finally {
      server.kill();
    }
  });
});
