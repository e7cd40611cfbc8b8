import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/**
 * One process of the platform as a deployment runs it: `node <build>/<entry>.js`, no TypeScript
 * loader, its log lines in a file of its own, ready once its /readyz answers 200 (what a
 * load balancer or an orchestrator's readiness probe asks).
 */
export interface ServiceProcess {
  /** e.g. `gateway-1`, `users-2`. */
  readonly name: string;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** The end of its log, for an error message. */
  logTail(): string;
  /** SIGKILL, as a crash: nothing is drained or closed. Resolves once it exited. */
  kill(): Promise<void>;
  /** SIGTERM (its own graceful shutdown), SIGKILL after `graceMs`. Resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startServiceProcess(options: {
  name: string;
  /** The compiled entry point, e.g. `<build>/gateway/main.js`. */
  entry: string;
  port: number;
  env: Readonly<Record<string, string>>;
  logFile: string;
  nodeArgs?: readonly string[];
}): ServiceProcess {
  const log = openSync(options.logFile, 'a');
  // NODE_OPTIONS of the caller (tsx, a test runner's loader) stays out: the build runs on plain node.
  const { NODE_OPTIONS: _callerOptions, ...inherited } = process.env;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry], {
    env: { ...inherited, ...options.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name: options.name,
    origin: `http://127.0.0.1:${options.port}`,
    port: options.port,
    child,
    logFile: options.logFile,
    logTail: () => readFileSync(options.logFile, 'utf8').trim().split('\n').slice(-15).join('\n'),
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once `service` answers 200 on /readyz; rejects with its log's end when it exits or `timeoutMs` passes. */
export async function untilReady(service: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(
        `${service.name} exited at start (${service.child.exitCode ?? service.child.signalCode}):\n${service.logTail()}`,
      );
    }
    try {
      if ((await fetch(`${service.origin}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${service.name} not ready within ${timeoutMs} ms:\n${service.logTail()}`);
    // A readiness probe asks again; the process announces nothing a parent could wait on.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a one-off command of the build (migrations) to its end; rejects with its output when it fails. */
export async function runToCompletion(options: {
  entry: string;
  env: Readonly<Record<string, string>>;
  logFile: string;
}): Promise<void> {
  const log = openSync(options.logFile, 'a');
  const { NODE_OPTIONS: _callerOptions, ...inherited } = process.env;
  const child = spawn(process.execPath, [options.entry], { env: { ...inherited, ...options.env }, stdio: ['ignore', log, log] });
  closeSync(log);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    throw new Error(`${options.entry} exited with ${code}:\n${readFileSync(options.logFile, 'utf8').trim().slice(-3000)}`);
  }
}
