import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, inject } from 'vitest';
import { createGateway, gatewaySettingsFrom } from '../../gateway/server.js';
import type { InMemoryDatabase } from '../../lib/infra/db/database.js';
import { createScratchDatabase } from '../../lib/infra/db/scratch-database.js';
import { startHttpServer } from '../../lib/infra/http-server.js';
import { type Config, loadConfig } from '../../lib/kernel/config.js';
import { createLogger, type Logger } from '../../lib/kernel/logger.js';
import { type Platform, type SubgraphName, startPlatform } from '../../platform/platform.js';
import { lateBound } from './late-bound.js';
import type { LogLines } from './log-lines.js';
import { fetchEmbeddedSnapshot } from './migrated-database.js';
import { TcpProxy } from './tcp-proxy.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** The mode this run tests: real services when DATABASE_URL / REDIS_URL are set, embedded otherwise. */
export const usingRealPostgres = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '';

export interface TestPlatform extends Platform {
  readonly config: Config;
  /** The proxies between the gateway and the subgraphs named in `throughProxy`. */
  readonly proxies: Partial<Record<SubgraphName, TcpProxy>>;
}

/**
 * Starts the whole platform on free ports, on a database of its own, a copy of the run's migrated
 * one (tests/support/migrated-database.ts): a fresh PostgreSQL database (DATABASE_URL mode) or an
 * in-memory PGlite (embedded mode). `stop()` drops it.
 * `throughProxy`: the gateway reaches these subgraphs through a TcpProxy each (fault tests).
 * `logs`: every process writes its log lines there (as JSON) instead of stdout.
 */
export async function startTestPlatform(
  env: Record<string, string> = {},
  options: { shareDatabaseWith?: TestPlatform; throughProxy?: SubgraphName[]; logs?: LogLines } = {},
): Promise<TestPlatform> {
  // A second instance of the platform (multi-instance tests) uses the first one's database and
  // leaves dropping it to the first.
  const shared = options.shareDatabaseWith?.config.database.url;
  if (options.shareDatabaseWith !== undefined && shared === undefined) {
    throw new Error('Only platforms on real PostgreSQL can share a database');
  }
  const testDatabase =
    usingRealPostgres && shared === undefined
      ? await createScratchDatabase(process.env.DATABASE_URL as string, postgresTemplate())
      : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    GATEWAY_PORT: '0',
    USERS_PORT: '0',
    POSTS_PORT: '0',
    MESSAGES_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    // The suite sends hundreds of requests from 127.0.0.1; rate-limit tests pass low limits in `env`.
    RATE_LIMIT_PER_MINUTE: '100000',
    LOGIN_ATTEMPTS_PER_15_MIN: '100000',
    REGISTER_ATTEMPTS_PER_HOUR: '100000',
    // Test files share the machine's PostgreSQL: warm connections would only hold its slots
    // (tests/database-pool.test.ts checks the warm-up with a minimum of its own).
    DATABASE_POOL_MIN: '0',
    ...(testDatabase === undefined ? {} : { DATABASE_URL: testDatabase.url }),
    ...(shared === undefined ? {} : { DATABASE_URL: shared }),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    // Runs share Redis but not databases: each database gets its own cached responses.
    CACHE_NAMESPACE: basename(dataDirOf(options.shareDatabaseWith) ?? dataDir),
    ...env,
  });
  const logger = createLogger({
    level: config.log.level,
    pretty: false,
    ...(options.logs === undefined ? {} : { stream: options.logs }),
  });
  try {
    const inMemoryDatabase = config.database.url === undefined ? await embeddedStart() : false;
    const started = await startPlatform(config, logger, { inMemoryDatabase });
    const { platform, proxies } = await withProxies(started, config, logger, options.throughProxy ?? []).catch(
      async (error: unknown) => {
        await started.stop();
        throw error;
      },
    );
    return {
      ...platform,
      config,
      proxies,
      async stop() {
        await platform.stop();
        await testDatabase?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await testDatabase?.drop();
    throw error;
  }
}

type PlatformEnv = Record<string, string>;
type PlatformOptions = NonNullable<Parameters<typeof startTestPlatform>[1]>;
/** What usePlatforms starts: the arguments of startTestPlatform, or a function giving them once earlier hooks ran. */
type PlatformStart = [env?: PlatformEnv | (() => PlatformEnv), options?: PlatformOptions | (() => PlatformOptions)];

/**
 * The platform of a file (or of the describe block it is called in), with startTestPlatform's
 * arguments: started in a beforeAll and stopped in an afterAll that it registers itself.
 * Returns a handle that reads through to the running platform and throws if read before the
 * start (e.g. at collection time). Hooks registered after this call run after the start and
 * before the stop (vitest runs after-hooks in reverse order).
 * `env` and `options` may be functions, for values known only once earlier hooks ran (a Redis
 * of the test's own); a handle passed as `shareDatabaseWith` is read only at the start.
 */
export function usePlatform(env: PlatformStart[0] = {}, options: PlatformStart[1] = {}): TestPlatform {
  return usePlatforms([env, options])[0] as TestPlatform;
}

/** Several platforms of one file, started side by side and stopped together (see usePlatform). */
export function usePlatforms(...starts: PlatformStart[]): TestPlatform[] {
  const running: (TestPlatform | undefined)[] = starts.map(() => undefined);
  beforeAll(async () => {
    const started = await Promise.allSettled(
      starts.map(([env = {}, options = {}]) =>
        startTestPlatform(typeof env === 'function' ? env() : env, typeof options === 'function' ? options() : options),
      ),
    );
    for (const [index, outcome] of started.entries()) if (outcome.status === 'fulfilled') running[index] = outcome.value;
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  });
  afterAll(async () => {
    await Promise.all(running.map((platform) => platform?.stop()));
  });
  return running.map((_, index) => lateBound(`usePlatform()'s platform ${index + 1}`, () => running[index]));
}

/** The migrated database the global setup made (vitest.config.ts), or an empty one without it. */
function postgresTemplate(): { template?: string } {
  const template = inject('postgresTemplate');
  return template === undefined ? {} : { template };
}

async function embeddedStart(): Promise<InMemoryDatabase> {
  const url = inject('embeddedSnapshotUrl');
  return url === undefined ? true : { dataDir: await fetchEmbeddedSnapshot(url) };
}

/**
 * The platform with its gateway replaced by a second one that reaches `names` through a
 * TcpProxy each (platform/platform.ts points its gateway at the subgraphs' own ports). The
 * subgraphs still call each other directly, so only the gateway sees the faults.
 */
async function withProxies(
  platform: Platform,
  config: Config,
  logger: Logger,
  names: SubgraphName[],
): Promise<{ platform: Platform; proxies: Partial<Record<SubgraphName, TcpProxy>> }> {
  if (names.length === 0) return { platform, proxies: {} };
  const proxies: Partial<Record<SubgraphName, TcpProxy>> = {};
  const subgraphUrls: Record<string, string> = {};
  for (const [name, subgraph] of Object.entries(platform.subgraphs)) subgraphUrls[name] = subgraph.url;
  for (const name of names) {
    const proxy = await TcpProxy.start(platform.subgraphs[name].url);
    proxies[name] = proxy;
    subgraphUrls[name] = proxy.urlFor(platform.subgraphs[name].url);
  }
  const gateway = await createGateway({
    subgraphUrls,
    tokens: platform.tokens,
    store: platform.store,
    logger,
    ...gatewaySettingsFrom(config),
  });
  const server = await startHttpServer(gateway.handler, { port: 0, host: config.host });
  const sockets = gateway.serveWebSockets(server.server);
  return {
    proxies,
    platform: {
      ...platform,
      gateway,
      gatewayUrl: `${server.origin}/graphql`,
      gatewayOrigin: server.origin,
      async stop() {
        await sockets.close();
        await server.close(0);
        await gateway.stop();
        for (const proxy of Object.values(proxies)) await proxy.stop();
        await platform.stop();
      },
    },
  };
}

/** The data directory of a running test platform: unique per platform, so a fine namespace. */
function dataDirOf(platform: TestPlatform | undefined): string | undefined {
  return platform?.config.database.dataDir;
}

/**
 * A token of a new account written straight into the database: a viewer that exists (the
 * gateway refuses tokens of accounts that do not) and cost no request, so no rate-limit budget.
 */
export async function newAccountToken(platform: TestPlatform): Promise<string> {
  const name = `acct_${randomBytes(6).toString('hex')}`;
  const { rows } = await sql<{ id: string }>`
    insert into users.users (email, username, display_name, password_hash)
    values (${`${name}@example.edu`}, ${name}, ${name}, 'not a password hash')
    returning id`.execute(platform.database.kysely);
  return platform.tokens.sign(rows[0]?.id as string);
}
