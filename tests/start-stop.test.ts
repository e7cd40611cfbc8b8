import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../lib/infra/db/scratch-database.js';
import { usingRealPostgres } from './support/platform.js';
import { until } from './support/until.js';

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

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * `npm start` as a process manager runs it: no terminal, its own process group, on a scratch
 * database and free ports. Resolves with npm's process and the gateway's port once it is ready.
 */
async function startNpm(env: Record<string, string> = {}): Promise<{ npm: ChildProcess; pid: number; port: number }> {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL as string);
  const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-start-'));
  const npm = spawn('npm', ['start'], {
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
      CACHE_NAMESPACE: `start-${process.pid}-${Date.now()}`,
      // The rate limit's counters in Redis are per client IP, and every test here is 127.0.0.1.
      RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    },
  });
  const pid = npm.pid as number;
  cleanups.push(async () => {
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await scratch.drop();
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    npm.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /GraphiQL and GraphQL\s+http:\/\/localhost:(\d+)\/graphql/.exec(output)?.[1];
      if (found !== undefined) resolve(Number(found));
    });
    npm.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
  });
  return { npm, pid, port };
}

/**
 * Resolves once the group led by `pid` is empty, or after `timeoutMs`. Polled: the group's other
 * processes are not children of this one, so no exit event of theirs reaches it.
 */
async function untilGroupGone(pid: number, timeoutMs: number): Promise<void> {
  await until(() => !groupAlive(pid), timeoutMs).catch(() => undefined);
}

/**
 * SIGTERM to the process npm is must stop the platform and leave nothing running (a tsx
 * wrapper used to keep it answering, reparented to PID 1). On the real services only: a first
 * embedded start seeds demo data, which takes long and proves nothing more here.
 */
describe.skipIf(!usingRealPostgres)('npm start and a process manager', () => {
  it('stops within 10 s of SIGTERM, with no process and no port left behind', { timeout: 90_000 }, async () => {
    const { npm, pid, port } = await startNpm();
    expect(await listening(port)).toBe(true);
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const signalled = Date.now();
    process.kill(pid, 'SIGTERM');
    expect(await exited).toBe(0);
    await untilGroupGone(pid, 10_000);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(groupAlive(pid)).toBe(false);
    expect(await listening(port)).toBe(false);
  });

  it('in production, answers /readyz 503 through the drain window while still serving, then stops', {
    timeout: 90_000,
  }, async () => {
    const drainMs = 2000;
    const { npm, pid, port } = await startNpm({
      NODE_ENV: 'production',
      JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
      SUBGRAPH_SIGNING_SECRET: 'a-signing-secret-of-at-least-32-characters',
      SHUTDOWN_DRAIN_MS: String(drainMs),
    });
    const origin = `http://127.0.0.1:${port}`;
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const signalled = Date.now();
    process.kill(pid, 'SIGTERM');
    let readiness = 200;
    while (readiness === 200 && Date.now() - signalled < drainMs) readiness = (await fetch(`${origin}/readyz`)).status;
    expect(readiness).toBe(503);
    // Out of rotation, yet every request that still arrives is answered.
    const query = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
    expect(Date.now() - signalled).toBeLessThan(drainMs);
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(drainMs);
    await untilGroupGone(pid, 10_000);
    expect(groupAlive(pid)).toBe(false);
    expect(await listening(port)).toBe(false);
  });
});
