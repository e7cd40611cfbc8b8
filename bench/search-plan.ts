/**
 * What PostgreSQL does for `searchPosts`: the statements a checkout's posts repository runs for
 * the first page of a common, a rare and an absent word and a phrase, each EXPLAINed with
 * ANALYZE and BUFFERS on the bench database, summarised (scans and indexes, rows, buffers,
 * times) for the bench report. `npm run bench` reports this checkout's plans; `npm run
 * bench:search` those of every BENCH_SERVICE_ROOT side by side.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { DEFAULT_SEARCH_WINDOW_SIZE } from '../lib/kernel/config.js';
import { type Figure, figure } from './support/report.js';

/** One EXPLAINed statement, boiled down to what says whether it is bounded. */
export interface StatementPlan {
  /** Scan nodes in plan order: "Index Scan using post_search_created_idx on post_search (1000 rows, 38196 filtered)". */
  readonly scans: string[];
  readonly indexes: string[];
  /** Rows the scans read and threw away (the filter), summed: what an ordered scan wastes. */
  readonly rowsFiltered: number;
  /** Rows the scans returned, summed. */
  readonly rowsScanned: number;
  readonly rowsReturned: number;
  /** Plan nodes PostgreSQL never ran (a later window the page did not need). */
  readonly neverExecuted: number;
  readonly sharedHit: number;
  readonly sharedRead: number;
  readonly planningMs: number;
  readonly executionMs: number;
}

export interface TermPlan {
  readonly kind: 'common word' | 'common word, page 2' | 'rare word' | 'absent word' | 'phrase of common words';
  readonly term: string;
  /** Posts containing the word, from a 5 % block sample (so approximate); null for the phrase. */
  readonly approxMatches: number | null;
  readonly statements: StatementPlan[];
  /** Execution time of all the page's statements, ms (the second, warm run). */
  readonly executionMs: number;
}

type SearchFunction = (db: Kysely<object>, options: Record<string, unknown>) => Promise<SearchRow[]>;
/** What a page's rows carry in every checkout (the window only since windows). */
type SearchRow = { id: string; rank: number; created_at: Date; window?: unknown };

const SAMPLE_PERCENT = 5;
const SEARCH_ENTRIES = ['subgraphs/posts/services/search-posts.ts', 'subgraphs/posts/db/post.repository.ts'];

/**
 * The words to explain, chosen from the data: the most and the least frequent word of a 5 %
 * sample (the seed's texts have no truly rare words: its rarest is in ~0.1 % of the posts), a word
 * that is in no post, and a phrase of the two most frequent words (the planner estimates a
 * phrase like an AND of its words, so this is where estimates go wrong).
 */
export async function pickPlanTerms(
  databaseUrl: string,
): Promise<{ kind: TermPlan['kind']; term: string; approxMatches: number | null }[]> {
  return withKysely(databaseUrl, async (db) => {
    // Version-independent (each checkout stores the tsvector where it likes): recomputed on the sample.
    const { rows } = await sql<{ word: string; ndoc: number }>`
      select word, ndoc from ts_stat(${`select to_tsvector('simple', posts.unaccent_text(content)) from posts.posts tablesample system (${SAMPLE_PERCENT}) repeatable (1)`})
       where length(word) >= 4 order by ndoc desc, word`.execute(db);
    const first = rows[0];
    const second = rows[1];
    const last = rows.at(-1);
    if (first === undefined || second === undefined || last === undefined) throw new Error('no posts to pick search terms from');
    const scale = 100 / SAMPLE_PERCENT;
    return [
      { kind: 'common word', term: first.word, approxMatches: Math.round(first.ndoc * scale) },
      { kind: 'rare word', term: last.word, approxMatches: Math.round(last.ndoc * scale) },
      { kind: 'absent word', term: 'zqxjvwk', approxMatches: 0 },
      { kind: 'phrase of common words', term: `"${second.word} ${first.word}"`, approxMatches: null },
    ];
  });
}

/**
 * EXPLAINs (ANALYZE, BUFFERS) each statement that `serviceRoot`'s posts repository runs for the
 * first page (20 posts) of each term, on `databaseUrl`. Each page runs once to warm up, then
 * every captured statement is explained; the times are the explained run's.
 */
export async function explainSearch(
  databaseUrl: string,
  terms: readonly { kind: TermPlan['kind']; term: string; approxMatches: number | null }[],
  serviceRoot = process.cwd(),
): Promise<TermPlan[]> {
  // Where each checkout keeps searchPosts: a service since windows, the repository before.
  const entry = SEARCH_ENTRIES.map((file) => resolve(serviceRoot, file)).find((file) => existsSync(file));
  if (entry === undefined) throw new Error(`no searchPosts in ${serviceRoot}`);
  const { searchPosts } = (await import(pathToFileURL(entry).href)) as { searchPosts: SearchFunction };
  const captured: CompiledQuery[] = [];
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const db = new Kysely<object>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
  try {
    // The services' default window (SEARCH_WINDOW_SIZE unset); a checkout without windows ignores it.
    const page = (query: string, after: SearchRow | null = null) =>
      searchPosts(db, {
        query,
        after: after === null ? null : { rank: after.rank, at: after.created_at, id: after.id, window: after.window },
        limit: 21,
        windowSize: DEFAULT_SEARCH_WINDOW_SIZE,
      });
    const explain = async (run: () => Promise<SearchRow[]>): Promise<StatementPlan[]> => {
      await run();
      captured.length = 0;
      await run();
      // Replayed in order on the one connection, so a statement a checkout runs in a transaction
      // with settings of its own (begin, set_config, commit) is explained under them.
      const statements: StatementPlan[] = [];
      for (const query of [...captured]) {
        if (!query.sql.includes('websearch_to_tsquery')) {
          await db.executeQuery(CompiledQuery.raw(query.sql, [...query.parameters]));
          continue;
        }
        const { rows } = await db.executeQuery<{ 'QUERY PLAN': unknown }>(
          CompiledQuery.raw(`explain (analyze, buffers, format json) ${query.sql}`, [...query.parameters]),
        );
        statements.push(summarise(rows[0]?.['QUERY PLAN']));
      }
      return statements;
    };
    const plans: TermPlan[] = [];
    const add = (kind: TermPlan['kind'], term: string, approxMatches: number | null, statements: StatementPlan[]) =>
      plans.push({ kind, term, approxMatches, statements, executionMs: statements.reduce((sum, s) => sum + s.executionMs, 0) });
    for (const { kind, term, approxMatches } of terms) {
      add(kind, term, approxMatches, await explain(() => page(term)));
      if (kind !== 'common word') continue;
      // The next page, from the first page's last post (the 20th; the 21st only says there is more).
      const last = (await page(term))[19];
      if (last !== undefined) add('common word, page 2', term, approxMatches, await explain(() => page(term, last)));
    }
    return plans;
  } finally {
    await db.destroy();
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

function summarise(explained: unknown): StatementPlan {
  const [root] = (typeof explained === 'string' ? JSON.parse(explained) : explained) as {
    Plan: PlanNode;
    'Planning Time': number;
    'Execution Time': number;
  }[];
  if (root === undefined) throw new Error('EXPLAIN returned no plan');
  const scans: string[] = [];
  const indexes = new Set<string>();
  let rowsFiltered = 0;
  let rowsScanned = 0;
  let neverExecuted = 0;
  const visit = (node: PlanNode) => {
    const loops = node['Actual Loops'] ?? 0;
    if (loops === 0) neverExecuted += 1;
    if (node['Index Name'] !== undefined) indexes.add(node['Index Name']);
    if (/Scan/.test(node['Node Type']) && node['Relation Name'] !== undefined) {
      const rows = (node['Actual Rows'] ?? 0) * loops;
      const filtered = ((node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * loops;
      rowsScanned += rows;
      rowsFiltered += filtered;
      const using = node['Index Name'] === undefined ? '' : ` using ${node['Index Name']}`;
      scans.push(
        `${node['Node Type']}${using} on ${node['Relation Name']} (${loops === 0 ? 'never executed' : `${rows} rows${filtered > 0 ? `, ${filtered} filtered` : ''}`})`,
      );
    } else if (node['Node Type'] === 'Bitmap Index Scan') {
      scans.push(`Bitmap Index Scan on ${node['Index Name']} (${(node['Actual Rows'] ?? 0) * loops} rows)`);
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(root.Plan);
  return {
    scans,
    indexes: [...indexes],
    rowsFiltered,
    rowsScanned,
    rowsReturned: root.Plan['Actual Rows'] ?? 0,
    neverExecuted,
    sharedHit: root.Plan['Shared Hit Blocks'] ?? 0,
    sharedRead: root.Plan['Shared Read Blocks'] ?? 0,
    planningMs: root['Planning Time'],
    executionMs: root['Execution Time'],
  };
}

/** The figures of the bench report: each page's execution time against the seed's 50 ms per statement (p95). */
export function searchPlanFigures(plans: readonly TermPlan[]): Figure[] {
  return plans.map((plan) => figure(`search plan, ${plan.kind} "${plan.term}": execution`, plan.executionMs, 'ms', '< 50'));
}

/** One line per term for a printed report. */
export function describePlans(plans: readonly TermPlan[]): string[] {
  return plans.map((plan) => {
    const matches = plan.approxMatches === null ? '' : ` (~${plan.approxMatches} posts)`;
    const statements = plan.statements
      .map(
        (s) =>
          `[${s.scans.join(' → ')}; ${s.sharedHit + s.sharedRead} buffers; planned in ${s.planningMs.toFixed(1)} ms, ran in ${s.executionMs.toFixed(1)} ms]`,
      )
      .join(' + ');
    return `${plan.kind} "${plan.term}"${matches}: ${plan.executionMs.toFixed(1)} ms: ${statements}`;
  });
}

async function withKysely<T>(url: string, run: (db: Kysely<object>) => Promise<T>): Promise<T> {
  const db = new Kysely<object>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    return await run(db);
  } finally {
    await db.destroy();
  }
}
