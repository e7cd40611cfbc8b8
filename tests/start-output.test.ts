import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { usingRealPostgres } from './support/platform.js';

const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-start-output-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * `npm start`'s own script on embedded PostgreSQL under one DATA_DIR, without a terminal.
 * Resolves with everything it printed up to its ready banner's last line, then stops it.
 */
async function startUntilReady(): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    GATEWAY_PORT: '0',
    USERS_PORT: '0',
    POSTS_PORT: '0',
    MESSAGES_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/\n {2}data: .*\n/.test(output) && /\n\n$/.test(output)) resolve();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once('exit', (code) => reject(new Error(`start exited with ${code}: ${output}`)));
    });
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  return output;
}

/** The start-up steps, as printed: "[  1.2 s] text" → "text". */
const steps = (output: string) => [...output.matchAll(/^\[\s*\d+\.\d s\] (.*)$/gm)].map((match) => (match[1] as string).trim());

/** Embedded mode only: this is what a newcomer's first `npm start` looks like. */
describe.skipIf(usingRealPostgres)('npm start prints what it does', () => {
  let demoLine = '';

  it('on the first start: creating the database, each subgraph, the gateway, seeding with progress, the demo login', {
    timeout: 120_000,
  }, async () => {
    const output = await startUntilReady();
    expect(steps(output)).toEqual([
      'ChitLaq Graph is starting (loading its code)',
      `creating embedded PostgreSQL in ${dataDir} (first start only; the slowest step)`,
      'users subgraph: migrating its schema and starting',
      'posts subgraph: migrating its schema and starting',
      'messages subgraph: migrating its schema and starting',
      'gateway: composing the supergraph and starting',
      expect.stringMatching(/^gateway answering at http:\/\/localhost:\d+\/graphql$/),
      'seeding demo data (an empty database gets a few users, posts and follows)',
      'seeded 50 users',
      'seeded 300 follows',
      'seeded 500 posts',
      expect.stringMatching(/^seeded \d+ hashtags$/),
      'seeded 1000 likes',
    ]);
    expect(output).toMatch(/ChitLaq Graph is ready \(\d+\.\d s\)\./);
    demoLine = /^ {2}demo login: \S+@\S+ \/ chitlaq-demo-password \(@\w+\)$/m.exec(output)?.[0] ?? '';
    expect(demoLine).not.toBe('');
  });

  it('on every later start: opening the database, no seeding, the same demo login', { timeout: 120_000 }, async () => {
    expect(demoLine).not.toBe('');
    const output = await startUntilReady();
    expect(steps(output)).toEqual([
      'ChitLaq Graph is starting (loading its code)',
      `opening embedded PostgreSQL in ${dataDir}`,
      'users subgraph: migrating its schema and starting',
      'posts subgraph: migrating its schema and starting',
      'messages subgraph: migrating its schema and starting',
      'gateway: composing the supergraph and starting',
      expect.stringMatching(/^gateway answering at /),
    ]);
    expect(output.split('\n')).toContain(demoLine);
  });
});
