import { type Kysely, sql } from 'kysely';

/**
 * Search reads its own narrow table, `post_search (post_id, created_at, search)`, instead of a
 * tsvector column on `posts`: ranking a common word's newest matches walks
 * `post_search_created_idx` newest first and tests each row's tsvector (post.repository.ts,
 * searchPosts). That walk is cheap only if the rows it visits sit together on disk, in time
 * order. Posts are appended in time order too, but every like rewrites its post's row
 * (likes_count) somewhere else in the table; post_search rows are never updated, so they stay
 * where they were appended. Triggers keep the table in step with `posts`; the foreign key
 * removes a deleted post's row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table posts.post_search (
      post_id uuid primary key references posts.posts (id) on delete cascade,
      created_at timestamptz(3) not null,
      search tsvector not null
    )`.execute(db);
  // In time order, like the rows appended from now on (the walk's cost depends on it).
  await sql`
    insert into posts.post_search (post_id, created_at, search)
    select id, created_at, search from posts.posts order by created_at, id`.execute(db);
  // The walk: a common word's newest matches, and the keyset of a window's range.
  await sql`create index post_search_created_idx on posts.post_search (created_at desc, post_id desc)`.execute(db);
  // Rare words: all matches at once.
  await sql`create index post_search_search_idx on posts.post_search using gin (search)`.execute(db);
  // The planner picks between the two by the word's frequency and the rows' order on disk: give it both now.
  await sql`analyze posts.post_search`.execute(db);

  // The 'simple' configuration over unaccented text, as the column it replaces (migration 2026_11_25_0001).
  await sql`
    create function posts.post_search_vector(content text) returns tsvector
      language sql immutable strict parallel safe
      as $$ select to_tsvector('simple'::regconfig, posts.unaccent_text(content)) $$`.execute(db);
  // One statement per insert statement (the seed inserts thousands of posts at once).
  await sql`
    create function posts.add_post_search() returns trigger language plpgsql as $$
    begin
      insert into posts.post_search (post_id, created_at, search)
      select id, created_at, posts.post_search_vector(content) from added order by created_at, id;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger posts_add_search after insert on posts.posts
      referencing new table as added for each statement execute function posts.add_post_search()`.execute(db);
  // No operation edits a post today; this keeps the table right if one ever does.
  await sql`
    create function posts.update_post_search() returns trigger language plpgsql as $$
    begin
      update posts.post_search
         set created_at = new.created_at, search = posts.post_search_vector(new.content)
       where post_id = new.id;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger posts_update_search after update of content, created_at on posts.posts
      for each row execute function posts.update_post_search()`.execute(db);

  await sql`alter table posts.posts drop column search`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table posts.posts add column search tsvector
      generated always as (to_tsvector('simple'::regconfig, posts.unaccent_text(content))) stored`.execute(db);
  await sql`create index posts_search_idx on posts.posts using gin (search)`.execute(db);
  await sql`drop trigger if exists posts_update_search on posts.posts`.execute(db);
  await sql`drop trigger if exists posts_add_search on posts.posts`.execute(db);
  await sql`drop function if exists posts.update_post_search()`.execute(db);
  await sql`drop function if exists posts.add_post_search()`.execute(db);
  await sql`drop function if exists posts.post_search_vector(text)`.execute(db);
  await sql`drop table if exists posts.post_search`.execute(db);
}
