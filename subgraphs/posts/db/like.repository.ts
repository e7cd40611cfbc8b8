import { type Kysely, sql, type Transaction } from 'kysely';
import type { PostRow, PostsDatabase } from './tables.js';

type Db = Kysely<PostsDatabase> | Transaction<PostsDatabase>;

/**
 * Likes (or unlikes) a post and adjusts likes_count in the same statement. The counter moves
 * by the number of like rows actually inserted (or deleted), 0 or 1, and the UPDATE takes the
 * post's row lock, so concurrent likes by many users never lose an update and a repeated like
 * changes nothing. Returns the post as updated, or undefined when it does not exist.
 */
export async function setLike(db: Db, options: { postId: string; userId: string; liked: boolean }): Promise<PostRow | undefined> {
  const change = options.liked
    ? sql`insert into posts.likes (post_id, user_id)
            select id, ${options.userId}::uuid from posts.posts where id = ${options.postId}::uuid
          on conflict (post_id, user_id) do nothing
          returning post_id`
    : sql`delete from posts.likes where post_id = ${options.postId}::uuid and user_id = ${options.userId}::uuid returning post_id`;
  const sign = options.liked ? sql`+` : sql`-`;
  const { rows } = await sql<PostRow>`
    with changed as (${change})
    update posts.posts p
       set likes_count = p.likes_count ${sign} (select count(*)::int from changed)
     where p.id = ${options.postId}::uuid
    returning p.id, p.author_id, p.content, p.hashtags, p.likes_count, p.created_at`.execute(db);
  return rows[0];
}

/** Which of `postIds` the user likes. */
export async function findLikedAmong(db: Db, userId: string, postIds: readonly string[]): Promise<string[]> {
  const rows = await db
    .selectFrom('posts.likes')
    .select('post_id')
    .where('user_id', '=', userId)
    .where('post_id', '=', sql<string>`any(${[...postIds]}::uuid[])`)
    .execute();
  return rows.map((row) => row.post_id);
}
