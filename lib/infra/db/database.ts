import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { type CompiledQuery, type Dialect, Kysely, type LogEvent, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../../kernel/config.js';
import type { Logger } from '../../kernel/logger.js';
import { lockDataDir } from './data-dir-lock.js';
import { PGliteDialect } from './pglite-dialect.js';

/** One executed statement, as observers (metrics, the EXPLAIN tests) see it. */
export interface ExecutedQuery {
  readonly query: CompiledQuery;
  readonly durationMs: number;
  readonly failed: boolean;
}

/**
 * A connection to the platform's one PostgreSQL database: a pg pool when DATABASE_URL is
 * set, otherwise an embedded PGlite kept under DATA_DIR. Subgraphs build their typed Kysely
 * instances on top of `kysely` (`withPlugin` + a cast to their table interface), each touching
 * its own schema only, by name.
 */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly kysely: Kysely<object>;
  /** Calls `listener` after every statement; returns the function that stops it. */
  onQuery(listener: (query: ExecutedQuery) => void): () => void;
  /** The pg pool's connections (metrics); undefined on PGlite, which has a single session. */
  poolStats(): PoolStats | undefined;
  /** Resolves when a trivial statement succeeds; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface PoolStats {
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

export async function openDatabase(
  config: Pick<Config['database'], 'url' | 'poolSize' | 'dataDir'> & { inMemory?: InMemoryDatabase },
  logger: Logger,
): Promise<Database> {
  if (config.url !== undefined) {
    const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize, application_name: 'chitlaq-graph' });
    // A connection that dies (a restart, a failover, pg_terminate_backend) emits 'error' on its
    // client: on an idle one the pool's listener catches it, but a client checked out between two
    // statements (inside a transaction, say) has no listener there, and an unhandled 'error'
    // event ends the process. pg marks such a client unqueryable, its statement fails, and the
    // pool drops it on release, so logging is all that is left to do.
    pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL client failed'));
    pool.on('connect', (client) => {
      client.on('error', (error) => logger.warn({ err: error }, 'PostgreSQL connection lost'));
    });
    return createDatabase(
      'postgres',
      new PostgresDialect({ pool }),
      async () => {},
      () => ({
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
      }),
    );
  }
  if (config.inMemory !== undefined && config.inMemory !== false) {
    const start = config.inMemory === true ? {} : { loadDataDir: config.inMemory.dataDir };
    const pglite = await PGlite.create({ ...start, extensions: PGLITE_EXTENSIONS, startParams: IN_MEMORY_START_PARAMS });
    return createDatabase('pglite', new PGliteDialect(pglite), () => pglite.close());
  }
  const dir = embeddedDataDir(config.dataDir);
  mkdirSync(dir, { recursive: true });
  const unlock = lockDataDir(config.dataDir);
  try {
    const pglite = await PGlite.create(dir, { extensions: PGLITE_EXTENSIONS });
    return createDatabase('pglite', new PGliteDialect(pglite), async () => {
      await pglite.close();
      unlock();
    });
  } catch (error) {
    unlock();
    throw error;
  }
}

function createDatabase(
  kind: Database['kind'],
  dialect: Dialect,
  release: () => Promise<void>,
  poolStats: () => PoolStats | undefined = () => undefined,
): Database {
  const listeners = new Set<(query: ExecutedQuery) => void>();
  const kysely = new Kysely<object>({
    dialect,
    log(event: LogEvent) {
      if (listeners.size === 0) return;
      const executed = { query: event.query, durationMs: event.queryDurationMillis, failed: event.level === 'error' };
      for (const listener of listeners) listener(executed);
    },
  });
  return {
    kind,
    kysely,
    onQuery(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    poolStats,
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    async close() {
      await kysely.destroy();
      await release();
    },
  };
}
