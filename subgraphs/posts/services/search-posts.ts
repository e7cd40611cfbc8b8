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
 * Rows a bounded walk may test per window member before the GIN index takes over: 100 × 200 =
 * 20,000 rows, about 5-10 ms; a walk that finds fewer members means the words are in under 1 %
 * of the newest posts, where the GIN index is the cheaper way.
 */
const WALK_ROWS_PER_MEMBER = 100;

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
 * Ranks a window, choosing how PostgreSQL finds its members.
 * - One plain word, new window: the planner knows the word's frequency (per-word statistics)
 *   and picks the walk or the GIN index itself.
 * - Anything else (several words, a phrase, OR, -exclusion), new window: it would estimate as if
 *   the words were independent, and a rare phrase of common words would have it walk the whole
 *   table. So the walk is bounded, and if it did not find the whole window, the statement runs
 *   again on the GIN index alone (whose cost is the number of posts holding the words).
 * - A cursor's window, unless it is the last: its bounds enclose what the walk that opened it
 *   read, so a bounded walk usually reaches its bottom; the planner would rather combine both
 *   indexes, reading every match of the word (up to 5× slower, measured). If it did not, as above.
 */
async function rankWindow(
  db: Kysely<PostsDatabase>,
  windowSize: number,
  options: { query: string; spec: WindowSpec; position: RankPosition | null; limit: number },
): Promise<RankedWindow> {
  const { spec } = options;
  const oneWord = isOneWord(options.query);
  const walkFirst = 'within' in spec ? spec.within.bottom !== null : !oneWord;
  if (walkFirst) {
    const walked = await rankSearchWindow(db, { ...options, walkLimit: WALK_ROWS_PER_MEMBER * windowSize });
    // A new window is whole once it has all its members; a cursor's once the walk reached its bottom post.
    if ('open' in spec ? walked.members === windowSize : walked.reachedBottom) return walked;
  }
  if (oneWord) return rankSearchWindow(db, { ...options, walkLimit: null });
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
