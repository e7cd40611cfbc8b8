import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, closeSync, constants, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { acceptsConnections } from '../free-port.js';
import { type NginxUpstreams, renderNginxConfig } from './nginx-config.js';

/**
 * A real nginx of our own (Debian's package): its configuration rendered from
 * deploy/nginx.conf.template into a directory of its own, run in the foreground (`daemon off`)
 * on loopback ports, so stopping it is stopping one child process.
 */

export const NGINX_INSTALL_HINT = 'apt-get install -y --no-install-recommends nginx';

/** The nginx binary on PATH (or in /usr/sbin, where Debian puts it), or undefined without one. */
export function nginxBinary(): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const directory of directories) {
    if (directory === '') continue;
    const candidate = join(directory, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface RunningNginx {
  readonly child: ChildProcess;
  /** The configuration it runs (nginx.conf in `dir`). */
  readonly configFile: string;
  /** Its access and error log. */
  readonly logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts nginx with the deployment's design on these ports and upstreams; `dir` holds its
 * configuration, pid file, temporary files and log (`nginx.log`: access and error lines).
 * Resolves once the public port accepts connections.
 */
export async function startNginx(options: {
  dir: string;
  publicPort: number;
  internalPort: number;
  upstreams: NginxUpstreams;
}): Promise<RunningNginx> {
  const { dir } = options;
  return runNginx({
    dir,
    listenPort: options.publicPort,
    config: ({ pidFile, tempDir }) =>
      renderNginxConfig({
        notice: 'Rendered from deploy/nginx.conf.template by `npm run cluster` (scripts/cluster/nginx.ts).',
        pidFile,
        tempDir,
        publicListen: `127.0.0.1:${options.publicPort}`,
        internalListen: `127.0.0.1:${options.internalPort}`,
        ...options.upstreams,
      }),
  });
}

/**
 * Runs nginx in the foreground on the configuration `config` returns for the pid file and
 * temporary directory it must use inside `dir`; resolves once `listenPort` accepts connections.
 * For a configuration other than the deployment's (a test's plain proxy).
 */
export async function runNginx(options: {
  dir: string;
  listenPort: number;
  config: (paths: { pidFile: string; tempDir: string }) => string;
}): Promise<RunningNginx> {
  const binary = nginxBinary();
  if (binary === undefined) throw new Error(`nginx is not installed: ${NGINX_INSTALL_HINT}`);
  const { dir } = options;
  mkdirSync(join(dir, 'temp'), { recursive: true });
  // Workers run as an unprivileged user when we are root: they must reach the temp directory.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'temp'), 0o755);
  const configFile = join(dir, 'nginx.conf');
  writeFileSync(configFile, options.config({ pidFile: join(dir, 'nginx.pid'), tempDir: join(dir, 'temp') }));
  // A file, not a pipe: the config logs to /dev/stdout and /dev/stderr, which nginx opens anew
  // (a socket cannot be opened through /dev/stdout).
  const logFile = join(dir, 'nginx.log');
  const log = openSync(logFile, 'a');
  // -e: the error log before the configuration is read (Debian's default path is not ours to write).
  const child = spawn(binary, ['-p', dir, '-c', configFile, '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const output = () => readFileSync(logFile, 'utf8').slice(-10_000);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM: fast shutdown, open WebSockets included (SIGQUIT would wait for them).
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    await untilListening(options.listenPort, exited, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, configFile, logFile, stop };
}

/** Resolves once 127.0.0.1:`port` accepts a connection; rejects when `exited` settles first. */
async function untilListening(port: number, exited: Promise<void>, output: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (gone) throw new Error(`nginx exited at start:\n${output().trim()}`);
    if (await acceptsConnections(port)) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within 10 s:\n${output().trim()}`);
    // nginx announces nothing when it listens: asking again is all a client can do.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
