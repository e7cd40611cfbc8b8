import { type Kysely, sql, type Transaction } from 'kysely';
import { olderThan } from '../../../lib/infra/db/keyset.js';
import type { UserRow, UsersDatabase } from './tables.js';

type Db = Kysely<UsersDatabase> | Transaction<UsersDatabase>;

/** Adds the edge unless it exists. Returns whether a row was inserted. */
export async function insertFollow(db: Db, followerId: string, followeeId: string): Promise<boolean> {
  const inserted = await db
    .insertInto('users.follows')
    .values({ follower_id: followerId, followee_id: followeeId })
    .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
    .returning('follower_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function deleteFollow(db: Db, followerId: string, followeeId: string): Promise<void> {
  await db.deleteFrom('users.follows').where('follower_id', '=', followerId).where('followee_id', '=', followeeId).execute();
}

export interface FollowCounts {
  id: string;
  followers: number;
  following: number;
}

/** Followers and following counts of many users in one statement (two index-only counts per user). */
export async function countFollows(db: Db, userIds: readonly string[]): Promise<FollowCounts[]> {
  const { rows } = await sql<FollowCounts>`
    select u.id,
           (select count(*)::int from users.follows f where f.followee_id = u.id) as followers,
           (select count(*)::int from users.follows f where f.follower_id = u.id) as following
      from unnest(${[...userIds]}::uuid[]) as u (id)`.execute(db);
  return rows;
}

/** Which of `userIds` the follower follows. */
export async function findFollowedAmong(db: Db, followerId: string, userIds: readonly string[]): Promise<string[]> {
  const rows = await db
    .selectFrom('users.follows')
    .select('followee_id')
    .where('follower_id', '=', followerId)
    .where('followee_id', '=', sql<string>`any(${[...userIds]}::uuid[])`)
    .execute();
  return rows.map((row) => row.followee_id);
}

/** Ids of everyone the user follows, most recent first, up to `limit`. */
export async function findFollowingIds(db: Db, userId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('users.follows')
    .select('followee_id')
    .where('follower_id', '=', userId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => row.followee_id);
}

export type FollowEdgeRow = UserRow & { parent_id: string; followed_at: Date };

/**
 * One page of followers (direction 'followers') or followings ('following') for each of many
 * users, in one statement: a LATERAL join runs the keyset query per user. Each user gets up to
 * `limit` rows, newest edge first, strictly after the (followed_at, id) cursor when given.
 */
export async function pageFollowEdges(
  db: Db,
  options: {
    direction: 'followers' | 'following';
    userIds: readonly string[];
    after: { at: Date; id: string } | null;
    limit: number;
  },
): Promise<FollowEdgeRow[]> {
  const [ownerColumn, otherColumn] =
    options.direction === 'followers' ? (['followee_id', 'follower_id'] as const) : (['follower_id', 'followee_id'] as const);
  const owner = sql.ref(`f.${ownerColumn}`);
  const other = sql.ref(`f.${otherColumn}`);
  const afterClause = olderThan(options.after, { at: 'f.created_at', id: `f.${otherColumn}` });
  const { rows } = await sql<FollowEdgeRow>`
    select p.parent_id, e.followed_at, u.id, u.email, u.username, u.display_name, u.university, u.bio, u.avatar_url, u.created_at
      from unnest(${[...options.userIds]}::uuid[]) as p (parent_id)
      cross join lateral (
        select ${other} as other_id, f.created_at as followed_at
          from users.follows f
         where ${owner} = p.parent_id ${afterClause}
         order by f.created_at desc, ${other} desc
         limit ${options.limit}
      ) e
      join users.users u on u.id = e.other_id
     order by p.parent_id, e.followed_at desc, u.id desc`.execute(db);
  return rows;
}
