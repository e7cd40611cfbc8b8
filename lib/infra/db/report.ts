import type pg from 'pg';

/** The schemas the platform's subgraphs own: the report looks at their indexes only. */
export const PLATFORM_SCHEMAS = ['users', 'posts', 'messages'] as const;

export interface SlowStatement {
  readonly calls: number;
  readonly meanMs: number;
  readonly totalMs: number;
  readonly rows: number;
  readonly query: string;
}

export interface UnusedIndex {
  readonly schema: string;
  readonly table: string;
  readonly index: string;
  readonly size: string;
}

/** What pg_stat_statements could tell: statements, or why not and how to turn it on. */
export type StatementsSection =
  | { readonly status: 'ok'; readonly statements: readonly SlowStatement[] }
  | { readonly status: 'not-loaded' | 'not-created'; readonly message: string };

export interface DatabaseReport {
  readonly database: string;
  readonly slowest: StatementsSection;
  readonly unusedIndexes: readonly UnusedIndex[];
}

const NOT_LOADED = `pg_stat_statements is not loaded, so there are no statement statistics. To enable it:
  1. in postgresql.conf: shared_preload_libraries = 'pg_stat_statements'   (then restart PostgreSQL)
  2. in this database:   CREATE EXTENSION pg_stat_statements;`;

const NOT_CREATED = `pg_stat_statements is loaded but not created in this database. To enable it:
  CREATE EXTENSION pg_stat_statements;`;

/**
 * The seed's database monitoring: the statements of this database with the highest mean time
 * (pg_stat_statements), and the platform's indexes never scanned since statistics were last
 * reset (pg_stat_user_indexes; unique and primary-key indexes are left out, they enforce rules).
 */
export async function databaseReport(client: pg.Client, options: { limit: number }): Promise<DatabaseReport> {
  const { rows: about } = await client.query<{ database: string; preloaded: boolean; created: boolean }>(
    `select current_database() as database,
            'pg_stat_statements' = any(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) as preloaded,
            exists (select 1 from pg_extension where extname = 'pg_stat_statements') as created`,
  );
  const { database, preloaded, created } = about[0] as { database: string; preloaded: boolean; created: boolean };
  let slowest: StatementsSection;
  if (!preloaded) slowest = { status: 'not-loaded', message: NOT_LOADED };
  else if (!created) slowest = { status: 'not-created', message: NOT_CREATED };
  else {
    // Qualified by the extension's schema: it need not be on the search_path.
    const { rows: schema } = await client.query<{ nspname: string }>(
      `select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements'`,
    );
    const view = `"${(schema[0] as { nspname: string }).nspname}".pg_stat_statements`;
    const { rows } = await client.query<SlowStatement>(
      `select calls::float8 as "calls", mean_exec_time as "meanMs", total_exec_time as "totalMs", rows::float8 as "rows", query
         from ${view}
        where dbid = (select oid from pg_database where datname = current_database())
        order by mean_exec_time desc
        limit $1`,
      [options.limit],
    );
    slowest = { status: 'ok', statements: rows };
  }
  const { rows: unusedIndexes } = await client.query<UnusedIndex>(
    `select s.schemaname as "schema", s.relname as "table", s.indexrelname as "index",
            pg_size_pretty(pg_relation_size(s.indexrelid)) as "size"
       from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid
      where s.idx_scan = 0 and not i.indisunique and not i.indisprimary and s.schemaname = any($1)
      order by pg_relation_size(s.indexrelid) desc, s.schemaname, s.indexrelname`,
    [PLATFORM_SCHEMAS],
  );
  return { database, slowest, unusedIndexes };
}

/** The report as `npm run db:report` prints it. */
export function formatReport(report: DatabaseReport): string {
  const lines = [`Database report for "${report.database}"`, '', 'Slowest statements (mean time, pg_stat_statements)'];
  if (report.slowest.status !== 'ok') lines.push(report.slowest.message);
  else if (report.slowest.statements.length === 0) lines.push('  (none recorded yet)');
  else {
    for (const s of report.slowest.statements) {
      const query = s.query.replace(/\s+/g, ' ').trim();
      lines.push(
        `  ${s.meanMs.toFixed(2).padStart(10)} ms mean  ${s.calls.toString().padStart(8)} calls  ${s.totalMs.toFixed(0).padStart(10)} ms total  ${query.length > 160 ? `${query.slice(0, 157)}...` : query}`,
      );
    }
  }
  lines.push('', `Unused indexes (never scanned since the statistics were reset; schemas ${PLATFORM_SCHEMAS.join(', ')})`);
  if (report.unusedIndexes.length === 0) lines.push('  (none)');
  for (const index of report.unusedIndexes) lines.push(`  ${index.schema}.${index.index} on ${index.table} (${index.size})`);
  return `${lines.join('\n')}\n`;
}
