import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** users.users: one row per account. `email` and `username` are stored lower-case. */
export interface UserTable {
  id: Generated<string>;
  email: string;
  username: string;
  display_name: string;
  university: string | null;
  bio: string | null;
  avatar_url: string | null;
  password_hash: string;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

/** users.follows: one row per (follower → followee) edge. */
export interface FollowTable {
  follower_id: string;
  followee_id: string;
  created_at: ColumnType<Date, never, never>;
}

/** The users subgraph's tables, schema-qualified: it reads and writes only its own schema. */
export interface UsersDatabase {
  'users.users': UserTable;
  'users.follows': FollowTable;
}

/** A user as the resolvers see it: never carries the password hash. */
export type UserRow = Omit<Selectable<UserTable>, 'password_hash' | 'updated_at'>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
