import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { openDatabase, PGLITE_EXTENSIONS } from '../../lib/infra/db/database.js';
import { migrateSchema } from '../../lib/infra/db/migrate.js';
import { PGliteDialect } from '../../lib/infra/db/pglite-dialect.js';
import { createScratchDatabase } from '../../lib/infra/db/scratch-database.js';
import { DEFAULT_DATABASE_POOL } from '../../lib/kernel/config.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { migrations as messagesMigrations } from '../../subgraphs/messages/db/migrations/index.js';
import { migrations as postsMigrations } from '../../subgraphs/posts/db/migrations/index.js';
import { migrations as usersMigrations } from '../../subgraphs/users/db/migrations/index.js';

/**
 * One migrated database per test run, copied for each test platform instead of migrating an
 * empty one every time. Embedded: an in-memory PGlite costs an initdb (a second WebAssembly
 * instance) plus every migration, seconds of CPU; loading a dumped data directory skips both.
 * PostgreSQL: `create database … template` copies the migrated schemas in about the time an
 * empty database takes. Platforms still run their migrations on the copy (all applied: a
 * no-op), so a migration missing here would only be slower, never wrong; the embedded-database
 * and migrate-script tests still migrate from empty.
 */

/** The subgraphs' schemas in the order platform/platform.ts migrates them (posts reads a view of users). */
const SCHEMAS = [
  ['users', usersMigrations],
  ['posts', postsMigrations],
  ['messages', messagesMigrations],
] as const;

async function migrateAll(kysely: Kysely<object>): Promise<void> {
  for (const [schema, migrations] of SCHEMAS) await migrateSchema(kysely, schema, migrations);
}

/** An empty in-memory PGlite, migrated, dumped as an uncompressed tarball (the fastest to load). */
async function buildSnapshot(): Promise<Uint8Array> {
  const pglite = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
  const kysely = new Kysely<object>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrateAll(kysely);
    const tarball = await pglite.dumpDataDir('none');
    return new Uint8Array(await tarball.arrayBuffer());
  } finally {
    await kysely.destroy();
    await pglite.close();
  }
}

/**
 * Serves the embedded snapshot on a loopback port to the test workers (separate processes),
 * built on the first request only, so a run that starts no embedded platform (unit tests only)
 * never pays for it. Resolves to its URL and a function that stops the server.
 */
export async function serveEmbeddedSnapshot(): Promise<{ url: string; close: () => Promise<void> }> {
  let snapshot: Promise<Uint8Array> | undefined;
  const server = createServer((_request, response) => {
    snapshot ??= buildSnapshot();
    snapshot.then(
      (bytes) => response.writeHead(200, { 'content-type': 'application/x-tar' }).end(bytes),
      (error: unknown) => response.writeHead(500).end(error instanceof Error ? (error.stack ?? error.message) : String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let loaded: Promise<Blob> | undefined;

/** The snapshot served at `url`, fetched once per worker process. */
export function fetchEmbeddedSnapshot(url: string): Promise<Blob> {
  loaded ??= fetch(url).then(async (response) => {
    if (!response.ok) throw new Error(`The migrated embedded snapshot failed to build: ${await response.text()}`);
    return response.blob();
  });
  return loaded;
}

/**
 * A migrated scratch database on the server at `serverUrl`, closed again (a template may have
 * no connections); `drop()` removes it after the run.
 */
export async function createMigratedTemplate(serverUrl: string): Promise<{ name: string; drop: () => Promise<void> }> {
  const template = await createScratchDatabase(serverUrl);
  try {
    const database = await openDatabase(
      { url: template.url, readUrl: undefined, pool: { ...DEFAULT_DATABASE_POOL, max: 1, min: 0 }, dataDir: '' },
      createLogger({ level: 'silent', pretty: false }),
      { applicationName: 'chitlaq-test-setup' },
    );
    try {
      await migrateAll(database.kysely);
    } finally {
      await database.close();
    }
  } catch (error) {
    await template.drop();
    throw error;
  }
  return { name: new URL(template.url).pathname.slice(1), drop: template.drop };
}
