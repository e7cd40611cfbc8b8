import { type Kysely, sql, type Transaction } from 'kysely';
import { olderThan } from '../../../lib/infra/db/keyset.js';
import type { PostRow, PostsDatabase } from './tables.js';

type Db = Kysely<PostsDatabase> | Transaction<PostsDatabase>;

const POST_COLUMNS = [
  'posts.posts.id',
  'posts.posts.author_id',
  'posts.posts.content',
  'posts.posts.hashtags',
  'posts.posts.likes_count',
  'posts.posts.created_at',
] as const;

/** The same columns for hand-written SQL, aliased `p`. */
const P_COLUMNS = sql`p.id, p.author_id, p.content, p.hashtags, p.likes_count, p.created_at`;

export type TimeIdCursor = { at: Date; id: string };

/** Inserts a post and its hashtag rows in one transaction (the caller passes `trx`). */
export function insertPost(db: Kysely<PostsDatabase>, post: { authorId: string; content: string; hashtags: string[] }) {
  return db.transaction().execute((trx) => insertPostIn(trx, post));
}

async function insertPostIn(trx: Transaction<PostsDatabase>, post: { authorId: string; content: string; hashtags: string[] }) {
  const row = await trx
    .insertInto('posts.posts')
    .values({ author_id: post.authorId, content: post.content, hashtags: post.hashtags })
    .returning(POST_COLUMNS)
    .executeTakeFirstOrThrow();
  if (post.hashtags.length > 0) {
    await trx
      .insertInto('posts.post_hashtags')
      .values(post.hashtags.map((tag) => ({ tag, post_id: row.id, created_at: row.created_at })))
      .execute();
  }
  return row;
}

/** Posts by id, in any order. */
function postsByIds(db: Db, ids: readonly string[]) {
  return db
    .selectFrom('posts.posts')
    .select(POST_COLUMNS)
    .where('id', '=', sql<string>`any(${[...ids]}::uuid[])`);
}

export function findPostsByIds(db: Db, ids: readonly string[]): Promise<PostRow[]> {
  return postsByIds(db, ids).execute();
}

/**
 * The same posts, each with whether `viewerId` likes it, in one statement: a signed-in client's
 * post card selects both, so a post looked up by id needs no second round trip for its like.
 */
export function findPostsByIdsLikedBy(
  db: Db,
  ids: readonly string[],
  viewerId: string,
): Promise<(PostRow & { liked_by_viewer: boolean })[]> {
  return postsByIds(db, ids)
    .select(
      sql<boolean>`exists (select 1 from posts.likes l where l.post_id = posts.posts.id and l.user_id = ${viewerId}::uuid)`.as(
        'liked_by_viewer',
      ),
    )
    .execute();
}

/** Deletes a post if the author matches; likes and hashtag rows go with it (on delete cascade). */
export async function deletePostByAuthor(db: Db, id: string, authorId: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom('posts.posts')
    .where('id', '=', id)
    .where('author_id', '=', authorId)
    .returning('id')
    .executeTakeFirst();
  return deleted !== undefined;
}

export async function countPostsByAuthors(db: Db, authorIds: readonly string[]): Promise<{ author_id: string; count: number }[]> {
  const { rows } = await sql<{ author_id: string; count: number }>`
    select a.author_id, (select count(*)::int from posts.posts p where p.author_id = a.author_id) as count
      from unnest(${[...authorIds]}::uuid[]) as a (author_id)`.execute(db);
  return rows;
}

/** "Strictly after this post" in newest-first order, on the posts of `alias`. */
const olderPost = (cursor: TimeIdCursor | null, alias = 'p') =>
  olderThan(cursor, { at: `${alias}.created_at`, id: `${alias}.id` });

/**
 * One page of posts for each of many authors in one statement (User.posts across a list of
 * users): a LATERAL keyset scan of posts_author_created_idx per author.
 */
export async function pagePostsByAuthors(
  db: Db,
  options: { authorIds: readonly string[]; after: TimeIdCursor | null; limit: number },
): Promise<PostRow[]> {
  const { rows } = await sql<PostRow>`
    select ${P_COLUMNS}
      from unnest(${[...options.authorIds]}::uuid[]) as a (author_id)
      cross join lateral (
        select * from posts.posts p
         where p.author_id = a.author_id ${olderPost(options.after)}
         order by p.created_at desc, p.id desc
         limit ${options.limit}
      ) p
     order by p.author_id, p.created_at desc, p.id desc`.execute(db);
  return rows;
}

/**
 * The home feed: posts by the viewer and everyone they follow, newest first. For each author
 * a LATERAL scan takes at most `limit` rows from posts_author_created_idx, then the merge keeps
 * the newest `limit`: the cost grows with the number of followings, not with their post count.
 * Follow edges come from users.follow_edges, the view the users subgraph publishes.
 */
export async function pageFeed(
  db: Db,
  options: { viewerId: string; after: TimeIdCursor | null; limit: number },
): Promise<PostRow[]> {
  const { rows } = await sql<PostRow>`
    select ${P_COLUMNS}
      from (
        select followee_id as author_id from users.follow_edges where follower_id = ${options.viewerId}::uuid
        union
        select ${options.viewerId}::uuid
      ) as a
      cross join lateral (
        select * from posts.posts p
         where p.author_id = a.author_id ${olderPost(options.after)}
         order by p.created_at desc, p.id desc
         limit ${options.limit}
      ) p
     order by p.created_at desc, p.id desc
     limit ${options.limit}`.execute(db);
  return rows;
}

/** Posts with one tag, newest first, from post_hashtags_tag_created_idx. */
export async function pagePostsByHashtag(
  db: Db,
  options: { tag: string; after: TimeIdCursor | null; limit: number },
): Promise<PostRow[]> {
  const after = olderThan(options.after, { at: 'h.created_at', id: 'h.post_id' });
  const { rows } = await sql<PostRow>`
    select ${P_COLUMNS}
      from posts.post_hashtags h
      join posts.posts p on p.id = h.post_id
     where h.tag = ${options.tag} ${after}
     order by h.created_at desc, h.post_id desc
     limit ${options.limit}`.execute(db);
  return rows;
}

/**
 * A window of search matches: the ones between `top` and `bottom` in newest-first
 * (created_at, id) order, both included; `bottom` null: every match from `top` down (the last
 * window). Search ranks one window at a time (services/search-posts.ts).
 */
export interface SearchWindow {
  readonly top: TimeIdCursor;
  readonly bottom: TimeIdCursor | null;
}

/** Which window a statement ranks: a new one of the `size` newest matches older than `below`, or one a cursor names. */
export type WindowSpec =
  | { readonly open: { readonly below: TimeIdCursor | null; readonly size: number } }
  | { readonly within: SearchWindow };

/** A place in a window's ranked order: after the post with this rank, time and id. */
export type RankPosition = { rank: number; at: Date; id: string };
export type RankedPostRow = PostRow & { rank: number; window: SearchWindow };

export interface RankedWindow {
  /** The best `limit` members after the position, best first, each with the window. */
  readonly rows: RankedPostRow[];
  /** The window's bounds; null when it has no members (no match older than `below`). */
  readonly window: SearchWindow | null;
  /** Members the statement found (before the position). */
  readonly members: number;
  /** Whether the window's bottom post was among them (a walk that got this far saw the whole window). */
  readonly reachedBottom: boolean;
}

type WindowStatementRow = Partial<PostRow> & {
  members: number;
  reached_bottom: boolean;
  top_at: Date | null;
  top_id: string | null;
  oldest_at: Date | null;
  oldest_id: string | null;
  rank: number | null;
};

/**
 * Ranks one window of `query`'s matches (websearch syntax over post_search's unaccented 'simple'
 * tsvector) by ts_rank, then newest, and returns the best `limit` after `position`, joined to
 * their posts only then (`limit` primary-key reads). An open window is the `size` newest
 * matches: for a common word, walking post_search_created_idx newest first (the index matches
 * the ORDER BY) stops after `size` matches; for a rare one the GIN index finds them all. The
 * planner picks from the word's frequency. `walkLimit` forces the walk and ends it after that
 * many rows whatever it found (services/search-posts.ts: for queries whose frequency the
 * planner cannot estimate). A window a cursor names is its matches between its bounds.
 */
export async function rankSearchWindow(
  db: Db,
  options: { query: string; spec: WindowSpec; position: RankPosition | null; limit: number; walkLimit: number | null },
): Promise<RankedWindow> {
  const { spec } = options;
  const range =
    'open' in spec
      ? spec.open.below === null
        ? sql``
        : sql`and (s.created_at, s.post_id) < (${spec.open.below.at}::timestamptz, ${spec.open.below.id}::uuid)`
      : sql`and (s.created_at, s.post_id) <= (${spec.within.top.at}::timestamptz, ${spec.within.top.id}::uuid) ${
          spec.within.bottom === null
            ? sql``
            : sql`and (s.created_at, s.post_id) >= (${spec.within.bottom.at}::timestamptz, ${spec.within.bottom.id}::uuid)`
        }`;
  // The rows tested: all of post_search in the range, or only the `walkLimit` newest of them.
  const source =
    options.walkLimit === null
      ? sql`posts.post_search s`
      : sql`(select s.post_id, s.created_at, s.search from posts.post_search s where true ${range}
              order by s.created_at desc, s.post_id desc limit ${options.walkLimit}) s`;
  const newest = 'open' in spec ? sql`order by s.created_at desc, s.post_id desc limit ${spec.open.size}` : sql``;
  const bottomId = 'within' in spec ? (spec.within.bottom?.id ?? null) : null;
  const position = options.position;
  const { rows } = await sql<WindowStatementRow>`
    with members as (
      select m.post_id, m.created_at, ts_rank(m.search, m.query) as rank
        from (
          select s.post_id, s.created_at, s.search, q.query
            from ${source}, websearch_to_tsquery('simple', posts.unaccent_text(${options.query})) as q (query)
           where s.search @@ q.query ${options.walkLimit === null ? range : sql``}
           ${newest}
        ) m
    ),
    stats as (
      select count(*)::int as members,
             coalesce(bool_or(post_id = ${bottomId}::uuid), false) as reached_bottom,
             (array_agg(created_at order by created_at desc, post_id desc))[1] as top_at,
             (array_agg(post_id order by created_at desc, post_id desc))[1] as top_id,
             (array_agg(created_at order by created_at, post_id))[1] as oldest_at,
             (array_agg(post_id order by created_at, post_id))[1] as oldest_id
        from members
    ),
    best as (
      select r.* from members r
      ${position === null ? sql`` : sql`where (r.rank, r.created_at, r.post_id) < (${position.rank}::real, ${position.at}::timestamptz, ${position.id}::uuid)`}
       order by r.rank desc, r.created_at desc, r.post_id desc
       limit ${options.limit}
    )
    select stats.*, ${P_COLUMNS}, best.rank
      from stats
      left join best on true
      left join posts.posts p on p.id = best.post_id
     order by best.rank desc, best.created_at desc, best.post_id desc`.execute(db);
  const [stats] = rows;
  if (stats === undefined) throw new Error('the search statement returned no summary row');
  const window = windowOf(spec, stats);
  return {
    rows: window === null ? [] : rows.filter(isPostRow).map((row) => ({ ...postRowOf(row), rank: row.rank, window })),
    window,
    members: stats.members,
    reachedBottom: stats.reached_bottom,
  };
}

/** A cursor's window as it was; an open window from its members: full, it ends at its oldest; not full, it is the last. */
function windowOf(spec: WindowSpec, stats: WindowStatementRow): SearchWindow | null {
  if ('within' in spec) return spec.within;
  if (stats.top_at === null || stats.top_id === null || stats.oldest_at === null || stats.oldest_id === null) return null;
  const full = stats.members === spec.open.size;
  return { top: { at: stats.top_at, id: stats.top_id }, bottom: full ? { at: stats.oldest_at, id: stats.oldest_id } : null };
}

const isPostRow = (row: WindowStatementRow): row is WindowStatementRow & PostRow & { rank: number } =>
  row.id !== null && row.id !== undefined && row.rank !== null;

const postRowOf = (row: PostRow): PostRow => ({
  id: row.id,
  author_id: row.author_id,
  content: row.content,
  hashtags: row.hashtags,
  likes_count: row.likes_count,
  created_at: row.created_at,
});

/** Tags by number of posts in the last 24 hours, ties by tag; one statement over post_hashtags_created_idx. */
export async function trendingHashtags(db: Db, limit: number): Promise<{ tag: string; posts_count: number }[]> {
  const { rows } = await sql<{ tag: string; posts_count: number }>`
    select tag, count(*)::int as posts_count
      from posts.post_hashtags
     where created_at > now() - interval '24 hours'
     group by tag
     order by posts_count desc, tag asc
     limit ${limit}`.execute(db);
  return rows;
}

/** Whether a post exists (to tell NOT_FOUND from FORBIDDEN after a refused delete). */
export async function postExists(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('posts.posts').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}
