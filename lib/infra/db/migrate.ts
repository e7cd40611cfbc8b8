import { type Kysely, type Migration, Migrator, sql } from 'kysely';

/**
 * Brings one subgraph's Postgres schema up to date. Each subgraph owns one schema and keeps
 * its migration history inside it, so subgraphs migrate independently. Kysely's migrator
 * takes a lock, so several instances starting at once are safe.
 */
export async function migrateSchema(
  db: Kysely<object>,
  schema: string,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    migrationTableSchema: schema,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    const cause = error instanceof Error ? error : new Error(String(error));
    throw new Error(`Migration of schema "${schema}" failed${failed ? ` at ${failed.migrationName}` : ''}: ${cause.message}`, {
      cause,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
