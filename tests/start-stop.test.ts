import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../lib/db/scratch-database.js';
import { usingRealPostgres } from './support/platform.js';

/** True while something accepts connections on the port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** True while any process of the group led by `pid` is alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm start` as a process manager runs it: no terminal, its own process group, SIGTERM to the
 * process npm is. It must stop within 10 s and leave nothing running (a tsx wrapper used to
 * keep the platform answering, reparented to PID 1). On the real services only: a first
 * embedded start seeds demo data, which takes long and proves nothing more here.
 */
describe.skipIf(!usingRealPostgres)('npm start and a process manager', () => {
  it('stops within 10 s of SIGTERM, with no process and no port left behind', { timeout: 90_000 }, async () => {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL as string);
    const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-start-'));
    let npm: ChildProcess | undefined;
    try {
      npm = spawn('npm', ['start'], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          DATABASE_URL: scratch.url,
          DATA_DIR: dataDir,
          GATEWAY_PORT: '0',
          USERS_PORT: '0',
          POSTS_PORT: '0',
          MESSAGES_PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          CACHE_NAMESPACE: `start-${process.pid}`,
        },
      });
      let output = '';
      const ready = new Promise<number>((resolve, reject) => {
        npm?.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const port = /GraphiQL and GraphQL\s+http:\/\/localhost:(\d+)\/graphql/.exec(output)?.[1];
          if (port !== undefined) resolve(Number(port));
        });
        npm?.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
      });
      const port = await ready;
      expect(await listening(port)).toBe(true);

      const exited = new Promise<number | null>((resolve) => npm?.once('exit', (code) => resolve(code)));
      const signalled = Date.now();
      process.kill(npm.pid as number, 'SIGTERM');
      expect(await exited).toBe(0);
      // The rest of the group (node, esbuild) ends with it.
      while (groupAlive(npm.pid as number) && Date.now() - signalled < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(Date.now() - signalled).toBeLessThan(10_000);
      expect(groupAlive(npm.pid as number)).toBe(false);
      expect(await listening(port)).toBe(false);
    } finally {
      if (npm?.pid !== undefined && groupAlive(npm.pid)) process.kill(-npm.pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      await scratch.drop();
    }
  });
});
