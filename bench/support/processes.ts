import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { pinnedCommand } from './cpu-pinning.js';

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `npm run <script>`-equivalent entry `file` (TypeScript, through tsx, unless
 * `options.tsx` is false) with `args`, as its own process, like a deployment; on the cores
 * `options.cpus` (`taskset -c`, bench/support/cpu-pinning.ts) when given.
 */
export function startProcess(
  name: string,
  file: string,
  env: Record<string, string>,
  args: readonly string[] = [],
  options: { tsx?: boolean; cpus?: string | null } = {},
): ServiceProcess {
  // BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of each service when it stops.
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  const loader = options.tsx === false ? [] : ['--import', 'tsx'];
  const [command, commandArgs] = pinnedCommand(options.cpus, process.execPath, [...profile, ...loader, file, ...args]);
  const child = spawn(command, commandArgs, {
    // BENCH_SERVICE_ROOT=<checkout> runs that checkout's services: `--compare
    // BENCH_SERVICE_ROOT=<old>,<new>` measures two versions side by side in one run.
    cwd: env.BENCH_SERVICE_ROOT ?? process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return {
    name,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        // Exited already (by itself, or killed by a signal: then exitCode stays null and signalCode is set).
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Polls `url` until it answers 200 (a /readyz), failing after `timeoutMs`. */
export async function waitUntilReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await sleep(200);
  }
}
