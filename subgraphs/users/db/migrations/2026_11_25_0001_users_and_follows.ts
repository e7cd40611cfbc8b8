import { type Kysely, sql } from 'kysely';

/**
 * Accounts and follow edges. Keyset columns use millisecond precision (timestamptz(3)) so a
 * cursor built from a JS Date compares exactly with the stored value.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users.users (
      id uuid primary key default gen_random_uuid(),
      email text not null,
      username text collate "C" not null,
      display_name text not null,
      university text,
      bio text,
      avatar_url text,
      password_hash text not null,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz(3) not null default now(),
      constraint users_email_lowercase check (email = lower(email)),
      constraint users_username_format check (username ~ '^[a-z0-9_]{3,30}$')
    )`.execute(db);
  // Unique indexes, not a prior SELECT, decide CONFLICT: they hold under concurrent registrations.
  await sql`create unique index users_email_key on users.users (email)`.execute(db);
  // "C" collation: serves both equality and prefix (LIKE 'abc%') search, and a stable keyset order.
  await sql`create unique index users_username_key on users.users (username)`.execute(db);
  await sql`create index users_display_name_prefix_idx on users.users (lower(display_name) text_pattern_ops)`.execute(db);
  await sql`create index users_university_idx on users.users (lower(university), username)`.execute(db);

  await sql`
    create table users.follows (
      follower_id uuid not null references users.users (id) on delete cascade,
      followee_id uuid not null references users.users (id) on delete cascade,
      created_at timestamptz(3) not null default now(),
      primary key (follower_id, followee_id),
      constraint follows_not_self check (follower_id <> followee_id)
    )`.execute(db);
  // Followers of a user, newest first (User.followers, followersCount).
  await sql`create index follows_followee_idx on users.follows (followee_id, created_at desc, follower_id desc)`.execute(db);
  // Followings of a user, newest first (User.following, followingCount).
  await sql`create index follows_follower_idx on users.follows (follower_id, created_at desc, followee_id desc)`.execute(db);

  // The one published read path across schemas (ARCHITECTURE.md, "Data ownership"):
  // the posts subgraph builds the feed from this view; it must not read users.follows itself.
  await sql`
    create view users.follow_edges as
      select follower_id, followee_id, created_at from users.follows`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop view if exists users.follow_edges`.execute(db);
  await sql`drop table if exists users.follows`.execute(db);
  await sql`drop table if exists users.users`.execute(db);
}
