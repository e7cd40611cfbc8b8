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

export function findPostsByIds(db: Db, ids: readonly string[]): Promise<PostRow[]> {
  return db
    .selectFrom('posts.posts')
    .select(POST_COLUMNS)
    .where('id', '=', sql<string>`any(${[...ids]}::uuid[])`)
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

export type RankedPostRow = PostRow & { rank: number };
export type SearchCursor = { rank: number; at: Date; id: string };

/**
 * Full-text search: websearch syntax ("phrases", OR, -exclusion) over the stored, unaccented
 * 'simple' tsvector (GIN index), ordered by ts_rank, then newest. The rank is part of the
 * keyset, so a cursor is stable while new posts arrive.
 */
export async function searchPosts(
  db: Db,
  options: { query: string; after: SearchCursor | null; limit: number },
): Promise<RankedPostRow[]> {
  const after =
    options.after === null
      ? sql``
      : sql`and (ts_rank(p.search, q.query), p.created_at, p.id) < (${options.after.rank}::real, ${options.after.at}::timestamptz, ${options.after.id}::uuid)`;
  const { rows } = await sql<RankedPostRow>`
    select ${P_COLUMNS}, ts_rank(p.search, q.query) as rank
      from posts.posts p,
           websearch_to_tsquery('simple', posts.unaccent_text(${options.query})) as q (query)
     where p.search @@ q.query ${after}
     order by rank desc, p.created_at desc, p.id desc
     limit ${options.limit}`.execute(db);
  return rows;
}

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
