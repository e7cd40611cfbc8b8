import { type Kysely, sql } from 'kysely';

/**
 * Posts, likes and hashtags. Full-text search uses the 'simple' configuration over unaccented
 * text: students write in Turkish, Russian, English, German..., and 'simple' neither stems nor
 * drops stop words in any of them, so "Öğrenci", "ogrenci" and "öğrenci" all match.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // unaccent is a database-wide, trusted extension; it lives in public like every other.
  await sql`create extension if not exists unaccent with schema public`.execute(db);
  // unaccent() is STABLE (it reads a dictionary); a generated column needs an IMMUTABLE
  // function. Naming the dictionary explicitly makes this wrapper safe to mark immutable.
  await sql`
    create function posts.unaccent_text(text) returns text
      language sql immutable strict parallel safe
      as $$ select public.unaccent('public.unaccent'::regdictionary, $1) $$`.execute(db);

  await sql`
    create table posts.posts (
      id uuid primary key default gen_random_uuid(),
      author_id uuid not null,
      content text not null,
      hashtags text[] not null default '{}',
      likes_count integer not null default 0,
      created_at timestamptz(3) not null default now(),
      search tsvector generated always as (to_tsvector('simple'::regconfig, posts.unaccent_text(content))) stored,
      constraint posts_content_length check (char_length(content) between 1 and 2000),
      constraint posts_likes_count_non_negative check (likes_count >= 0)
    )`.execute(db);
  // A user's posts newest first (User.posts, postsCount, and the feed's per-author scan).
  await sql`create index posts_author_created_idx on posts.posts (author_id, created_at desc, id desc)`.execute(db);
  // All posts newest first (global timelines, the seed's posts(created_at desc)).
  await sql`create index posts_created_idx on posts.posts (created_at desc, id desc)`.execute(db);
  await sql`create index posts_search_idx on posts.posts using gin (search)`.execute(db);

  await sql`
    create table posts.post_hashtags (
      tag text not null,
      post_id uuid not null references posts.posts (id) on delete cascade,
      created_at timestamptz(3) not null,
      primary key (tag, post_id)
    )`.execute(db);
  // postsByHashtag: one tag, newest first.
  await sql`create index post_hashtags_tag_created_idx on posts.post_hashtags (tag, created_at desc, post_id desc)`.execute(db);
  // trendingHashtags: only the last 24 hours are read.
  await sql`create index post_hashtags_created_idx on posts.post_hashtags (created_at)`.execute(db);

  await sql`
    create table posts.likes (
      post_id uuid not null references posts.posts (id) on delete cascade,
      user_id uuid not null,
      created_at timestamptz(3) not null default now(),
      primary key (post_id, user_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists posts.likes`.execute(db);
  await sql`drop table if exists posts.post_hashtags`.execute(db);
  await sql`drop table if exists posts.posts`.execute(db);
  await sql`drop function if exists posts.unaccent_text(text)`.execute(db);
}
