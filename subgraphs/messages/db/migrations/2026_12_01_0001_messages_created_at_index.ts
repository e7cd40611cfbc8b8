import { type Kysely, sql } from 'kysely';

/**
 * Catch-up across conversations (`messageAdded(after:)` without a conversation) reads, in each
 * of the viewer's other conversations, the messages created after a point in time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index messages_conversation_created_idx on messages.messages (conversation_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists messages.messages_conversation_created_idx`.execute(db);
}
