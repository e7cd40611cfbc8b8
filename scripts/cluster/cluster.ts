import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { buildOutput, REPOSITORY_ROOT } from '../build-output.js';
import { freePort } from '../free-port.js';
import { type LocalPostgres, startLocalPostgres, startStreamingReplica } from '../postgres-cluster.js';
import { type RunningNginx, startNginx } from './nginx.js';
import { runToCompletion, type ServiceProcess, startServiceProcess, untilReady } from './service-process.js';

/**
 * A deployment on one machine, on loopback (`npm run cluster`): a PostgreSQL primary of its own
 * and a streaming replica of it, Redis at `redisUrl`, two instances of each subgraph and two
 * gateways, each its own process started from a fresh production build (no tsx), and nginx in
 * front with deploy/nginx.conf.template's design. Gateways reach subgraphs through nginx's
 * internal endpoint, as in deploy/docker-compose.yml: any gateway may use any subgraph instance.
 */

interface Stoppable {
  stop(): Promise<void>;
}

export const SUBGRAPH_NAMES = ['users', 'posts', 'messages'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** The cluster's database on its own primary: nothing here touches another server or database. */
const DATABASE_NAME = 'chitlaq';

export interface Cluster {
  /** The public GraphQL endpoint, through nginx: http://127.0.0.1:<port>/graphql */
  readonly url: string;
  /** The build, the logs (logs/<process>.log, nginx/nginx.log). */
  readonly dir: string;
  readonly logDir: string;
  readonly primary: LocalPostgres;
  readonly replica: LocalPostgres;
  /** DATABASE_URL and DATABASE_READ_URL of every subgraph. */
  readonly databaseUrl: string;
  readonly readUrl: string;
  readonly gateways: readonly ServiceProcess[];
  readonly subgraphs: Readonly<Record<SubgraphName, readonly ServiceProcess[]>>;
  readonly nginx: RunningNginx;
  /** The gateway at an upstream address as nginx names it (`127.0.0.1:<port>`, X-Served-By). */
  gatewayAt(address: string): ServiceProcess | undefined;
  /** Stops everything, in the reverse order of its start; `keepLogs` leaves logDir in place. */
  stop(options?: { keepLogs?: boolean }): Promise<void>;
}

export interface ClusterOptions {
  redisUrl: string;
  /** Instances of each subgraph and of the gateway (2). */
  instances?: number;
  /** Log level of every process (info). */
  logLevel?: string;
  onStep?: (step: string) => void;
  /** Stops a start in progress (Ctrl-C): what was started is stopped, and the start rejects. */
  signal?: AbortSignal;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const step = options.onStep ?? (() => undefined);
  const { signal } = options;
  /** Between steps, and while processes start: an abort stops waiting at once. */
  const unlessAborted = <T>(promise: Promise<T>): Promise<T> => {
    if (signal === undefined) return promise;
    signal.throwIfAborted();
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    ]);
  };
  const instances = options.instances ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'chitlaq-cluster-'));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  /** What stop() undoes, in tiers (the last started stops first; a tier's members together). */
  const started: Stoppable[][] = [];
  let stopping: Promise<void> | undefined;
  const stop = ({ keepLogs = false } = {}) => {
    stopping ??= (async () => {
      for (const tier of started.reverse()) await Promise.all(tier.map((resource) => resource.stop().catch(() => undefined)));
      rmSync(keepLogs ? join(dir, 'app') : dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    // The image's layout (deploy/Dockerfile): app/dist beside app/node_modules.
    const appDir = join(dir, 'app');
    mkdirSync(appDir);
    symlinkSync(realpathSync(join(REPOSITORY_ROOT, 'node_modules')), join(appDir, 'node_modules'));
    step('building (npm run build) and starting a PostgreSQL primary and its streaming replica');
    // Settled both before going on: a failed build must not leave a database starting unseen.
    const [built, databases] = await Promise.allSettled([
      buildOutput(join(appDir, 'dist'), { typeCheck: false }),
      startDatabases(started),
    ]);
    if (built.status === 'rejected') throw built.reason;
    if (databases.status === 'rejected') throw databases.reason;
    const build = built.value;
    signal?.throwIfAborted();
    const { primary, replica } = databases.value;
    const databaseUrl = withDatabase(primary.url, DATABASE_NAME);
    const readUrl = withDatabase(replica.url, DATABASE_NAME);
    const entry = (file: string) => join(build.outDir, file);

    const internalPort = await freePort();
    const internal = `http://127.0.0.1:${internalPort}`;
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: options.logLevel ?? 'info',
      LOG_PRETTY: 'false',
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: databaseUrl,
      DATABASE_READ_URL: readUrl,
      REDIS_URL: options.redisUrl,
      // Its own keys in a Redis others may share (tests, another cluster).
      CACHE_NAMESPACE: basename(dir),
      JWT_SECRET: randomBytes(32).toString('base64url'),
      SUBGRAPH_SIGNING_SECRET: randomBytes(32).toString('base64url'),
      USERS_URL: `${internal}/users/graphql`,
      POSTS_URL: `${internal}/posts/graphql`,
      MESSAGES_URL: `${internal}/messages/graphql`,
      // Behind nginx, which appends the client's address to X-Forwarded-For.
      TRUST_PROXY: 'true',
      // nginx stops first, so there is no balancer to drain from.
      SHUTDOWN_DRAIN_MS: '0',
      // The printed URL opens GraphiQL, as `npm start` does (production turns both off).
      GRAPHIQL: 'true',
      INTROSPECTION: 'true',
      // Six subgraph processes with two pools each share one local server's 100 connections.
      DATABASE_POOL_SIZE: '8',
      DATABASE_POOL_MIN: '1',
      // Every client of a one-machine cluster is 127.0.0.1, and the rate-limit counters in Redis
      // are per address and not namespaced: per-address limits would refuse its own traffic.
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOGIN_ATTEMPTS_PER_15_MIN: '1000000',
      REGISTER_ATTEMPTS_PER_HOUR: '1000000',
    };

    step('migrating the primary (dist/scripts/migrate.js)');
    await unlessAborted(runToCompletion({ entry: entry('scripts/migrate.js'), env, logFile: join(logDir, 'migrate.log') }));

    step(`starting ${instances} instances of each subgraph and ${instances} gateways`);
    const subgraphs = {} as Record<SubgraphName, ServiceProcess[]>;
    const subgraphTier: ServiceProcess[] = [];
    started.push(subgraphTier);
    const portVariable = { users: 'USERS_PORT', posts: 'POSTS_PORT', messages: 'MESSAGES_PORT' } as const;
    for (const name of SUBGRAPH_NAMES) {
      subgraphs[name] = [];
      for (let index = 1; index <= instances; index += 1) {
        const port = await freePort();
        const service = startServiceProcess({
          name: `${name}-${index}`,
          entry: entry(`subgraphs/${name}/main.js`),
          port,
          env: { ...env, [portVariable[name]]: String(port) },
          logFile: join(logDir, `${name}-${index}.log`),
          nodeArgs: ['--enable-source-maps'],
        });
        subgraphTier.push(service);
        subgraphs[name].push(service);
      }
    }

    // Gateways need no subgraph to start (the supergraph is a file): all start together.
    const gateways: ServiceProcess[] = [];
    started.push(gateways);
    for (let index = 1; index <= instances; index += 1) {
      const port = await freePort();
      const gateway = startServiceProcess({
        name: `gateway-${index}`,
        entry: entry('gateway/main.js'),
        port,
        env: { ...env, GATEWAY_PORT: String(port) },
        logFile: join(logDir, `gateway-${index}.log`),
        // The V8 flag of `npm run start:gateway` (gateway/README.md, "Measured").
        nodeArgs: ['--max-semi-space-size=64', '--enable-source-maps'],
      });
      gateways.push(gateway);
    }
    await unlessAborted(Promise.all([...subgraphTier, ...gateways].map((service) => untilReady(service))));

    step('starting nginx');
    const nginxDir = join(dir, 'nginx');
    mkdirSync(nginxDir);
    const publicPort = await freePort();
    const address = (service: ServiceProcess) => `127.0.0.1:${service.port}`;
    signal?.throwIfAborted();
    const nginx = await startNginx({
      dir: nginxDir,
      publicPort,
      internalPort,
      upstreams: {
        gateways: gateways.map(address),
        users: subgraphs.users.map(address),
        posts: subgraphs.posts.map(address),
        messages: subgraphs.messages.map(address),
      },
    });
    // First to stop: no request reaches a process that is going away.
    started.push([nginx]);

    return {
      url: `http://127.0.0.1:${publicPort}/graphql`,
      dir,
      logDir,
      primary,
      replica,
      databaseUrl,
      readUrl,
      gateways,
      subgraphs,
      nginx,
      gatewayAt: (upstream) => gateways.find((gateway) => address(gateway) === upstream),
      stop,
    };
  } catch (error) {
    // A failed start keeps its logs to read; a stopped one leaves nothing.
    if (signal?.aborted) {
      await stop();
      throw error;
    }
    await stop({ keepLogs: true });
    throw new Error(`${(error as Error).message}\nlogs kept in ${logDir}`, { cause: (error as Error).cause });
  }
}

/** The primary with the cluster's database, then its replica (which copies it): both registered in `started`. */
async function startDatabases(started: Stoppable[][]): Promise<{ primary: LocalPostgres; replica: LocalPostgres }> {
  const primary = await startLocalPostgres();
  started.push([primary]);
  const client = new pg.Client({ connectionString: primary.url });
  await client.connect();
  try {
    await client.query(`create database ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
  const replica = await startStreamingReplica(primary);
  started.push([replica]);
  return { primary, replica };
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
