import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../../scripts/free-port.js';

/**
 * A redis-server of the test's own on a free loopback port, with no persistence, that the test
 * may stop and start again on the same port (an outage). Never the machine's Redis.
 */
export interface OwnRedis {
  readonly url: string;
  /** Kills the server (SIGKILL: nothing is flushed, as in a crash) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty; resolves once it accepts connections. */
  start(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const spawned = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      spawned.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      spawned.once('error', reject);
      spawned.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
