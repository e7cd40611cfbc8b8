import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateSchema } from '../../lib/infra/db/migrate.js';
import { withClient } from '../../lib/infra/db/scratch-database.js';
import { type SeedCounts, seedDatabase } from '../../scripts/seed/index.js';
import { createProgressBars } from '../../scripts/seed/progress-bars.js';
import { migrations as messagesMigrations } from '../../subgraphs/messages/db/migrations/index.js';
import { migrations as postsMigrations } from '../../subgraphs/posts/db/migrations/index.js';
import { migrations as usersMigrations } from '../../subgraphs/users/db/migrations/index.js';

/**
 * The benchmark's own database on the server at DATABASE_URL (`chitlaq_bench_<mode>`), never
 * the database other things use. A seeded one is reused when its marker (bench.seed_marker)
 * says it holds exactly this seed; otherwise it is dropped, created, migrated and seeded with
 * progress bars. Runs add messages and benchmark groups to it; `--reseed` starts afresh.
 */

/** Bump when the seed's shape changes, so databases seeded by an older harness are reseeded. */
const SEED_VERSION = 3;

export interface BenchDatabase {
  readonly url: string;
  readonly name: string;
  readonly reused: boolean;
  readonly seedSeconds: number;
}

async function readMarker(url: string): Promise<string | null> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ marker: string }>(
      `select marker from bench.seed_marker where to_regclass('bench.seed_marker') is not null limit 1`,
    );
    return rows[0]?.marker ?? null;
  }).catch(() => null);
}

export async function prepareBenchDatabase(options: {
  serverUrl: string;
  name: string;
  counts: SeedCounts;
  seed: number;
  reseed: boolean;
}): Promise<BenchDatabase> {
  const url = new URL(options.serverUrl);
  url.pathname = `/${options.name}`;
  const marker = JSON.stringify({ version: SEED_VERSION, seed: options.seed, counts: options.counts });
  const exists = await withClient(options.serverUrl, async (client) => {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [options.name]);
    return (rowCount ?? 0) > 0;
  });
  if (exists && !options.reseed && (await readMarker(url.toString())) === marker) {
    return { url: url.toString(), name: options.name, reused: true, seedSeconds: 0 };
  }
  await withClient(options.serverUrl, async (client) => {
    await client.query(`drop database if exists "${options.name}" with (force)`);
    await client.query(`create database "${options.name}"`);
  });
  const started = performance.now();
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  const db = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
  const bars = createProgressBars();
  try {
    await migrateSchema(db, 'users', usersMigrations);
    await migrateSchema(db, 'posts', postsMigrations);
    await migrateSchema(db, 'messages', messagesMigrations);
    await seedDatabase(db, options.counts, { seed: options.seed, onProgress: bars.onProgress });
    bars.stop();
    // What autovacuum would have done by then (the bench's server may run without it): fresh
    // statistics for the planner, visibility maps, GIN pending lists merged into the indexes.
    await sql`vacuum analyze`.execute(db);
    await sql`create schema bench`.execute(db);
    await sql`create table bench.seed_marker (marker text not null)`.execute(db);
    await sql`insert into bench.seed_marker (marker) values (${marker})`.execute(db);
  } finally {
    bars.stop();
    await db.destroy();
  }
  return { url: url.toString(), name: options.name, reused: false, seedSeconds: (performance.now() - started) / 1000 };
}
