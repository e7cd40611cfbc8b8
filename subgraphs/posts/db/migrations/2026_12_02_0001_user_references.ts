import { type Kysely, sql } from 'kysely';

/**
 * Posts and likes reference the account that made them (users.users, migrated first), so no row
 * can point at a missing user: a token whose account is gone cannot write, and removing an
 * account removes its posts and likes. Rows that already point at no account (written before
 * this constraint by such tokens) are removed first: no read can resolve their author.
 * likes_count is not lowered for likes removed with an account (the counter is kept by the
 * statements that like and unlike).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from posts.posts p where not exists (select 1 from users.users u where u.id = p.author_id)`.execute(db);
  await sql`delete from posts.likes l where not exists (select 1 from users.users u where u.id = l.user_id)`.execute(db);
  await sql`
    alter table posts.posts add constraint posts_author_fk
      foreign key (author_id) references users.users (id) on delete cascade`.execute(db);
  await sql`
    alter table posts.likes add constraint likes_user_fk
      foreign key (user_id) references users.users (id) on delete cascade`.execute(db);
  // The cascade from users.users finds a user's likes by user_id (the primary key leads with post_id).
  await sql`create index likes_user_idx on posts.likes (user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists posts.likes_user_idx`.execute(db);
  await sql`alter table posts.likes drop constraint if exists likes_user_fk`.execute(db);
  await sql`alter table posts.posts drop constraint if exists posts_author_fk`.execute(db);
}
