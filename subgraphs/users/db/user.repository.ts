import { type Kysely, sql, type Transaction } from 'kysely';
import type { NewUser, UserRow, UsersDatabase, UserUpdate } from './tables.js';

type Db = Kysely<UsersDatabase> | Transaction<UsersDatabase>;

/** Every column a resolver may need; the password hash is deliberately not among them. */
const USER_COLUMNS = [
  'users.users.id',
  'users.users.email',
  'users.users.username',
  'users.users.display_name',
  'users.users.university',
  'users.users.bio',
  'users.users.avatar_url',
  'users.users.created_at',
] as const;

/** Users by id, in any order. */
function usersByIds(db: Db, ids: readonly string[]) {
  return db
    .selectFrom('users.users')
    .select(USER_COLUMNS)
    .where('id', '=', sql<string>`any(${[...ids]}::uuid[])`);
}

export function findUsersByIds(db: Db, ids: readonly string[]): Promise<UserRow[]> {
  return usersByIds(db, ids).execute();
}

/**
 * The same users, each with whether `viewerId` follows them, in one statement: a signed-in
 * client's author line selects both, so a user looked up by id needs no second round trip.
 */
export function findUsersByIdsFollowedBy(
  db: Db,
  ids: readonly string[],
  viewerId: string,
): Promise<(UserRow & { followed_by_viewer: boolean })[]> {
  return usersByIds(db, ids)
    .select(
      sql<boolean>`exists (select 1 from users.follows f where f.followee_id = users.users.id and f.follower_id = ${viewerId}::uuid)`.as(
        'followed_by_viewer',
      ),
    )
    .execute();
}

export function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users.users').select(USER_COLUMNS).where('username', '=', username.toLowerCase()).executeTakeFirst();
}

/** Id and password hash for a login attempt; the only query that reads the hash. */
export function findCredentialsByEmail(db: Db, email: string): Promise<{ id: string; password_hash: string } | undefined> {
  return db.selectFrom('users.users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirst();
}

/** Inserts an account. A taken email or username surfaces as a unique violation (see lib/infra/db/errors.ts). */
export function insertUser(db: Db, user: NewUser): Promise<UserRow> {
  return db.insertInto('users.users').values(user).returning(USER_COLUMNS).executeTakeFirstOrThrow();
}

export function updateUser(db: Db, id: string, patch: UserUpdate): Promise<UserRow | undefined> {
  return db
    .updateTable('users.users')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(USER_COLUMNS)
    .executeTakeFirst();
}

/**
 * Users whose username or lower-cased display name starts with `prefix` (already lower-cased
 * and LIKE-escaped by the caller), optionally at one university, in username order after
 * `afterUsername`. Fetches `limit` rows; callers ask for one extra to learn hasNextPage.
 */
export function searchUsersByPrefix(
  db: Db,
  options: { prefix: string; university: string | null; afterUsername: string | null; limit: number },
): Promise<UserRow[]> {
  const pattern = `${options.prefix}%`;
  let query = db
    .selectFrom('users.users')
    .select(USER_COLUMNS)
    .where((eb) => eb.or([eb('username', 'like', pattern), eb(sql<string>`lower(display_name)`, 'like', pattern)]));
  if (options.university !== null) {
    query = query.where(sql<string>`lower(university)`, '=', options.university.toLowerCase());
  }
  if (options.afterUsername !== null) query = query.where('username', '>', options.afterUsername);
  return query.orderBy('username').limit(options.limit).execute();
}

/** Escapes LIKE wildcards so user input matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
