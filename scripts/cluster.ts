/**
 * `npm run cluster [-- --check] [-- --json]`: the deployment of deploy/docker-compose.yml on this
 * machine, on loopback (scripts/cluster/cluster.ts): nginx, two gateways, two instances of each
 * subgraph, a PostgreSQL primary of its own with a streaming replica, and Redis at REDIS_URL.
 * It prints the URL and runs until Ctrl-C. `--check` drives traffic and subscriptions through
 * nginx instead, prints what it saw and exits non-zero when a check failed
 * (scripts/cluster/check.ts); `--json` adds the report as one JSON line at the end.
 * Everything it started is stopped on exit.
 */

import { exitOnStartupError } from '../lib/infra/shutdown.js';
import { formatClusterReport, runClusterCheck } from './cluster/check.js';
import { startCluster } from './cluster/cluster.js';
import { NGINX_INSTALL_HINT, nginxBinary } from './cluster/nginx.js';
import { postgresBinDir } from './postgres-cluster.js';

const USAGE = 'usage: npm run cluster [-- --check [--json]]';

function parseArgs(args: readonly string[]): { check: boolean; json: boolean } {
  const known = new Set(['--check', '--json']);
  const unknown = args.filter((arg) => !known.has(arg));
  if (unknown.length > 0 || (args.includes('--json') && !args.includes('--check'))) throw new Error(USAGE);
  return { check: args.includes('--check'), json: args.includes('--json') };
}

/** What the cluster needs from the machine, each missing one with how to get it. */
function missingPrerequisites(redisUrl: string | undefined): string[] {
  const missing: string[] = [];
  if (nginxBinary() === undefined) missing.push(`nginx: ${NGINX_INSTALL_HINT}`);
  if (postgresBinDir() === undefined) {
    missing.push(
      'PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup under /usr/lib/postgresql): apt-get install postgresql',
    );
  }
  if (redisUrl === undefined) missing.push('REDIS_URL: the Redis every instance shares, e.g. REDIS_URL=redis://127.0.0.1:6379');
  return missing;
}

async function main(): Promise<void> {
  const { check, json } = parseArgs(process.argv.slice(2));
  // Read here, as the benchmarks do: the cluster hands every process a configuration of its own.
  const redisUrl = process.env.REDIS_URL || undefined;
  const missing = missingPrerequisites(redisUrl);
  if (missing.length > 0 || redisUrl === undefined) {
    throw new Error(`npm run cluster needs:\n${missing.map((line) => `  - ${line}`).join('\n')}`);
  }
  const startedAt = performance.now();
  const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1).padStart(5)} s`;
  const abort = new AbortController();
  const starting = startCluster({
    redisUrl,
    onStep: (step) => console.log(`[${elapsed()}] ${step}`),
    signal: abort.signal,
  });
  let exiting = false;
  /** Stops the cluster (once started: a start in progress is let finish, or fail and clean up itself), then exits. */
  const exit = async (code: number, keepLogs = false) => {
    if (exiting) return;
    exiting = true;
    stopRequested = true;
    abort.abort(new Error('stopped during start-up'));
    const cluster = await starting.catch(() => undefined);
    await cluster?.stop({ keepLogs });
    if (keepLogs && cluster !== undefined) console.log(`logs kept in ${cluster.logDir}`);
    process.exit(code);
  };
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(signal, () => {
      console.log(`\n${signal}: stopping the cluster`);
      void exit(code);
    });
  }

  const cluster = await starting;
  const address = (port: number) => `http://127.0.0.1:${port}`;
  console.log(
    [
      '',
      `ChitLaq Graph cluster is ready (${elapsed().trim()}).`,
      '',
      `  GraphQL (nginx)    ${cluster.url}`,
      `  gateways           ${cluster.gateways.map((gateway) => address(gateway.port)).join('  ')}`,
      ...Object.entries(cluster.subgraphs).map(
        ([name, instances]) => `  ${name.padEnd(19)}${instances.map((instance) => address(instance.port)).join('  ')}`,
      ),
      `  PostgreSQL         primary ${cluster.databaseUrl}`,
      `                     replica ${cluster.readUrl}`,
      `  Redis              ${redisUrl}`,
      `  logs               ${cluster.logDir} (removed on exit)`,
      '',
    ].join('\n'),
  );
  if (!check) {
    // Nothing restarts a process that died: say so, with where its log is.
    for (const service of [...cluster.gateways, ...Object.values(cluster.subgraphs).flat()]) {
      service.child.once('exit', (code, signal) => {
        if (!exiting) console.error(`${service.name} exited (${code ?? signal}); its log: ${service.logFile}`);
      });
    }
    console.log('Ctrl-C stops everything.');
    return;
  }
  try {
    const report = await runClusterCheck(cluster, { log: (line) => console.log(line) });
    console.log(formatClusterReport(report));
    if (json) console.log(JSON.stringify(report));
    await exit(report.passed ? 0 : 1, !report.passed);
  } catch (error) {
    console.error(`The check could not run to its end: ${(error as Error).message}`);
    await exit(1, true);
  }
}

/** Set once a signal or the end of the check stops the cluster: a start it interrupted fails quietly. */
let stopRequested = false;

main().catch((error: unknown) => {
  if (!stopRequested) exitOnStartupError(error);
});
