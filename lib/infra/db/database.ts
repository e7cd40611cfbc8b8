import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { type CompiledQuery, type Dialect, Kysely, type LogEvent, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config, DatabasePoolConfig } from '../../kernel/config.js';
import type { Logger } from '../../kernel/logger.js';
import { lockDataDir } from './data-dir-lock.js';
import { PGliteDialect } from './pglite-dialect.js';

/** Which pool ran a statement: the primary, or the replica of DATABASE_READ_URL. */
export type PoolName = 'primary' | 'replica';

/** One executed statement, as observers (metrics, the EXPLAIN tests) see it. */
export interface ExecutedQuery {
  readonly query: CompiledQuery;
  readonly durationMs: number;
  readonly failed: boolean;
  readonly pool: PoolName;
}

/**
 * A connection to the platform's PostgreSQL: pg pools when DATABASE_URL is set (the primary's,
 * and a replica's for DATABASE_READ_URL), otherwise an embedded PGlite kept under DATA_DIR.
 * Subgraphs build their typed Kysely instances on top of `kysely` and `replica` (`withPlugin` +
 * a cast to their table interface), each touching its own schema only, by name; which of the
 * two a request reads from is decided in one place, lib/service/read-routing.ts.
 */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  /** The primary: writes, migrations, and every read that must see them. */
  readonly kysely: Kysely<object>;
  /** The replica (DATABASE_READ_URL), for reads only; undefined when there is none. */
  readonly replica: Kysely<object> | undefined;
  /** Calls `listener` after every statement of either pool; returns the function that stops it. */
  onQuery(listener: (query: ExecutedQuery) => void): () => void;
  /** Each pg pool's connections (metrics); empty on PGlite, which has a single session. */
  poolStats(): readonly PoolStats[];
  /** Resolves when a trivial statement succeeds on every pool; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface PoolStats {
  readonly pool: PoolName;
  readonly total: number;
  readonly idle: number;
  /** Statements queued for a free connection. */
  readonly waiting: number;
}

/** Where the embedded PGlite keeps its files under DATA_DIR. */
export function embeddedDataDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

/** Extensions the migrations create (PGlite ships them as bundles to load up front). */
export const PGLITE_EXTENSIONS = { unaccent };

/**
 * An in-memory PGlite (no DATA_DIR): `true` starts from an empty cluster (initdb), `{ dataDir }`
 * from a data directory PGlite's `dumpDataDir` made, which skips initdb and whatever that
 * cluster already holds (the tests start every platform from one migrated snapshot).
 */
export type InMemoryDatabase = boolean | { readonly dataDir: Blob };

/**
 * An in-memory cluster's files already live in memory, so PostgreSQL's default 128 MB buffer
 * pool would only copy them, and setting it up is most of the CPU an in-memory start costs
 * (~2 s → ~0.8 s here).
 */
const IN_MEMORY_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

export type DatabaseSettings = Pick<Config['database'], 'url' | 'readUrl' | 'pool' | 'dataDir'> & {
  inMemory?: InMemoryDatabase;
};

/**
 * Opens the primary (and the replica, when `readUrl` is set) or the embedded database.
 * `applicationName` names this process's connections in pg_stat_activity (`chitlaq-users`, ...).
 */
export async function openDatabase(
  config: DatabaseSettings,
  logger: Logger,
  options: { applicationName: string },
): Promise<Database> {
  if (config.url !== undefined) {
    const settings = { ...config.pool, applicationName: options.applicationName };
    const primary = openPool(config.url, settings, logger.child({ pool: 'primary' }));
    const replica =
      config.readUrl === undefined ? undefined : openPool(config.readUrl, settings, logger.child({ pool: 'replica' }));
    const pools = [
      { name: 'primary' as const, pool: primary },
      ...(replica ? [{ name: 'replica' as const, pool: replica }] : []),
    ];
    await Promise.all(pools.map(({ pool, name }) => warmUp(pool, config.pool.min, logger.child({ pool: name }))));
    return createDatabase(
      'postgres',
      { primary: new PostgresDialect({ pool: primary }), replica: replica && new PostgresDialect({ pool: replica }) },
      async () => {},
      () =>
        pools.map(({ name, pool }) => ({ pool: name, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount })),
    );
  }
  if (config.readUrl !== undefined) {
    // loadConfig refuses this already; a caller building settings by hand hears it too.
    throw new Error('DATABASE_READ_URL needs DATABASE_URL: the embedded database has no replica');
  }
  if (config.inMemory !== undefined && config.inMemory !== false) {
    const start = config.inMemory === true ? {} : { loadDataDir: config.inMemory.dataDir };
    const pglite = await PGlite.create({ ...start, extensions: PGLITE_EXTENSIONS, startParams: IN_MEMORY_START_PARAMS });
    return createDatabase('pglite', { primary: new PGliteDialect(pglite) }, () => pglite.close());
  }
  const dir = embeddedDataDir(config.dataDir);
  mkdirSync(dir, { recursive: true });
  const unlock = lockDataDir(config.dataDir);
  try {
    const pglite = await PGlite.create(dir, { extensions: PGLITE_EXTENSIONS });
    return createDatabase('pglite', { primary: new PGliteDialect(pglite) }, async () => {
      await pglite.close();
      unlock();
    });
  } catch (error) {
    unlock();
    throw error;
  }
}

/** One pg pool with the process's settings (lib/kernel/config.ts, DEFAULT_DATABASE_POOL). */
function openPool(url: string, settings: DatabasePoolConfig & { applicationName: string }, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: settings.max,
    min: settings.min,
    idleTimeoutMillis: settings.idleTimeoutMs,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    // Sent in the startup packet, so the server enforces it on every statement of the session.
    ...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
    application_name: settings.applicationName,
  });
  // A connection that dies (a restart, a failover, pg_terminate_backend) emits 'error' on its
  // client: on an idle one the pool's listener catches it, but a client checked out between two
  // statements (inside a transaction, say) has no listener there, and an unhandled 'error'
  // event ends the process. pg marks such a client unqueryable, its statement fails, and the
  // pool drops it on release, so logging is all that is left to do.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: error }, 'PostgreSQL connection lost'));
  });
  return pool;
}

/**
 * pg-pool (3.x) honours `min` only by not closing idle connections below it; it opens none ahead
 * of demand. Opening them here spares the first requests after a start the connection set-up.
 * A server that is down is not fatal here: the migrations that follow report it.
 */
async function warmUp(pool: pg.Pool, min: number, logger: Logger): Promise<void> {
  const opened = await Promise.allSettled(Array.from({ length: min }, () => pool.connect()));
  for (const result of opened) if (result.status === 'fulfilled') result.value.release();
  const failed = opened.find((result) => result.status === 'rejected');
  if (failed !== undefined) logger.warn({ err: failed.reason }, `could not open the pool's ${min} warm connections`);
}

function createDatabase(
  kind: Database['kind'],
  dialects: { primary: Dialect; replica?: Dialect | undefined },
  release: () => Promise<void>,
  poolStats: () => readonly PoolStats[] = () => [],
): Database {
  const listeners = new Set<(query: ExecutedQuery) => void>();
  const open = (dialect: Dialect, pool: PoolName) =>
    new Kysely<object>({
      dialect,
      log(event: LogEvent) {
        if (listeners.size === 0) return;
        const executed = { query: event.query, durationMs: event.queryDurationMillis, failed: event.level === 'error', pool };
        for (const listener of listeners) listener(executed);
      },
    });
  const kysely = open(dialects.primary, 'primary');
  const replica = dialects.replica === undefined ? undefined : open(dialects.replica, 'replica');
  return {
    kind,
    kysely,
    replica,
    onQuery(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    poolStats,
    async ping() {
      await Promise.all([kysely, ...(replica ? [replica] : [])].map((db) => sql`select 1`.execute(db)));
    },
    async close() {
      await replica?.destroy();
      await kysely.destroy();
      await release();
    },
  };
}
