import { type Kysely, sql } from 'kysely';
import {
  type RankedPostRow,
  type RankedWindow,
  type RankPosition,
  rankSearchWindow,
  type SearchWindow,
  type WindowSpec,
} from '../db/post.repository.js';
import type { PostsDatabase } from '../db/tables.js';

/** Where a search page continues: the window of its last post and that post's place in it. */
export interface SearchCursor extends RankPosition {
  /** Null for a cursor written before windows (rank, time, id only): it continues in a window opened anew. */
  readonly window: SearchWindow | null;
}

/**
 * Rows a walk for a query of several words may test per window member before the GIN index
 * takes over: 40 × 500 = 20,000 rows, about 10 ms on the bench machine; a walk that finds
 * fewer members means the words are in under 2.5 % of the newest posts.
 */
const WALK_ROWS_PER_MEMBER = 40;

/**
 * One page of `searchPosts`. Matches are ranked a window at a time: the `windowSize` newest
 * matches, best match first (ts_rank), then newest; then the next `windowSize` older ones, and
 * so on. A rare word fits in one window, so its ranking is over every match; a common word's
 * page costs one window, never all its matches. The cursor names its window by its bounds, so
 * pages are stable while posts arrive (newer posts open no window of an old cursor) and pages of
 * a window never overlap or skip. A page reads its window, and the next ones while it is not full
 * (one more, when windowSize ≥ the page size).
 */
export async function searchPosts(
  db: Kysely<PostsDatabase>,
  options: { query: string; after: SearchCursor | null; limit: number; windowSize: number },
): Promise<RankedPostRow[]> {
  const { query, after, limit, windowSize: size } = options;
  const position = after === null ? null : { rank: after.rank, at: after.at, id: after.id };
  const first = await rankWindow(db, size, {
    query,
    spec: after?.window == null ? { open: { below: null, size } } : { within: after.window },
    position,
    limit,
  });
  const rows = [...first.rows];
  let window = first.window;
  while (rows.length < limit && window?.bottom != null) {
    const next = await rankWindow(db, size, {
      query,
      spec: { open: { below: window.bottom, size } },
      position: null,
      limit: limit - rows.length,
    });
    rows.push(...next.rows);
    window = next.window;
  }
  return rows;
}

/**
 * Ranks a window, choosing how PostgreSQL finds its members. For one plain word the planner
 * knows how frequent it is (per-word statistics) and picks the walk or the GIN index itself.
 * For anything else (several words, a phrase, OR, -exclusion) it estimates as if the words were
 * independent, and a phrase of common words that is itself rare would have it walk the whole
 * table: so the walk is bounded, and if it did not see the whole window, the statement runs
 * again on the GIN index (whose cost is the number of posts containing the words).
 */
async function rankWindow(
  db: Kysely<PostsDatabase>,
  windowSize: number,
  options: { query: string; spec: WindowSpec; position: RankPosition | null; limit: number },
): Promise<RankedWindow> {
  if (isOneWord(options.query)) return rankSearchWindow(db, { ...options, walkLimit: null });
  const walked = await rankSearchWindow(db, { ...options, walkLimit: WALK_ROWS_PER_MEMBER * windowSize });
  // An open window is whole once it has all its members; a cursor's once the walk reached its bottom post.
  const sawWholeWindow = 'open' in options.spec ? walked.members === windowSize : walked.reachedBottom;
  if (sawWholeWindow) return walked;
  return db.transaction().execute(async (trx) => {
    // For this statement only: no walk (index scan) and no sequential scan, so bitmap scans of the GIN index.
    await sql`select set_config('enable_indexscan', 'off', true), set_config('enable_seqscan', 'off', true)`.execute(trx);
    return rankSearchWindow(trx, { ...options, walkLimit: null });
  });
}

/** One word of letters and digits: one lexeme, whose frequency PostgreSQL's statistics know. */
function isOneWord(query: string): boolean {
  return /^[\p{L}\p{N}]+$/u.test(query.trim());
}
