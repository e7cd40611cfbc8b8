import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { lockDataDir } from './data-dir-lock.js';
import { PGliteDialect } from './pglite-dialect.js';

/**
 * A connection to the platform's one PostgreSQL database: a pg pool when DATABASE_URL is
 * set, otherwise an embedded PGlite kept under DATA_DIR. Subgraphs build their typed Kysely
 * instances on top of `kysely` (see `forSubgraph`), each confined to its own schema by name.
 */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly kysely: Kysely<object>;
  /** Resolves when a trivial statement succeeds; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(
  config: Pick<Config['database'], 'url' | 'poolSize' | 'dataDir'> & { inMemory?: boolean },
  logger: Logger,
): Promise<Database> {
  if (config.url !== undefined) {
    const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize, application_name: 'chitlaq-graph' });
    // An idle client's error (the server restarted, say) must not crash the process.
    pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL client failed'));
    const kysely = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
    return withPing('postgres', kysely);
  }
  let pglite: PGlite;
  let unlock = () => {};
  if (config.inMemory === true) {
    pglite = await PGlite.create();
  } else {
    const dir = join(config.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(config.dataDir);
    try {
      pglite = await PGlite.create(dir);
    } catch (error) {
      unlock();
      throw error;
    }
  }
  const kysely = new Kysely<object>({ dialect: new PGliteDialect(pglite) });
  const db = withPing('pglite', kysely);
  return {
    ...db,
    async close() {
      await kysely.destroy();
      await pglite.close();
      unlock();
    },
  };
}

function withPing(kind: Database['kind'], kysely: Kysely<object>): Database {
  return {
    kind,
    kysely,
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    close: () => kysely.destroy(),
  };
}
