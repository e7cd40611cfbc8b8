import { type Kysely, sql } from 'kysely';

/**
 * Members and messages reference their account (users.users, migrated first), so no row can
 * point at a missing user: a token whose account is gone cannot write, and removing an account
 * removes its memberships and the messages it sent. A conversation outlives its creator
 * (`created_by` becomes null). Rows that already point at no account are removed first: no
 * read can resolve their sender or member.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from messages.messages m where not exists (select 1 from users.users u where u.id = m.sender_id)`.execute(db);
  await sql`delete from messages.members m where not exists (select 1 from users.users u where u.id = m.user_id)`.execute(db);
  await sql`alter table messages.conversations alter column created_by drop not null`.execute(db);
  await sql`
    update messages.conversations c set created_by = null
      where not exists (select 1 from users.users u where u.id = c.created_by)`.execute(db);
  await sql`
    alter table messages.conversations add constraint conversations_created_by_fk
      foreign key (created_by) references users.users (id) on delete set null`.execute(db);
  await sql`
    alter table messages.members add constraint members_user_fk
      foreign key (user_id) references users.users (id) on delete cascade`.execute(db);
  await sql`
    alter table messages.messages add constraint messages_sender_fk
      foreign key (sender_id) references users.users (id) on delete cascade`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table messages.messages drop constraint if exists messages_sender_fk`.execute(db);
  await sql`alter table messages.members drop constraint if exists members_user_fk`.execute(db);
  await sql`alter table messages.conversations drop constraint if exists conversations_created_by_fk`.execute(db);
}
