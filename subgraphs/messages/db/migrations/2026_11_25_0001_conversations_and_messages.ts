import { type Kysely, sql } from 'kysely';

/**
 * Conversations, members and messages. Message order is a per-conversation sequence number
 * (`seq`) taken from conversations.last_seq under the conversation row's lock (see
 * message.repository.ts); `bigint` sequences come back from pg as strings, so they are
 * `integer` here: 2^31 messages in one conversation is far beyond any chat.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table messages.conversations (
      id uuid primary key default gen_random_uuid(),
      title text,
      is_group boolean not null,
      direct_key text,
      created_by uuid not null,
      last_seq integer not null default 0,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz(3) not null default now(),
      constraint conversations_direct_key_only_for_pairs check ((direct_key is null) = is_group)
    )`.execute(db);
  // At most one 1:1 conversation per pair of users, also when both start it at the same moment.
  await sql`create unique index conversations_direct_key_key on messages.conversations (direct_key)`.execute(db);

  await sql`
    create table messages.members (
      conversation_id uuid not null references messages.conversations (id) on delete cascade,
      user_id uuid not null,
      last_read_seq integer not null default 0,
      joined_at timestamptz(3) not null default now(),
      primary key (conversation_id, user_id)
    )`.execute(db);
  // A user's conversations (the conversations list, membership checks by user).
  await sql`create index members_user_idx on messages.members (user_id, conversation_id)`.execute(db);

  await sql`
    create table messages.messages (
      id uuid primary key default gen_random_uuid(),
      conversation_id uuid not null references messages.conversations (id) on delete cascade,
      seq integer not null,
      sender_id uuid not null,
      body text not null,
      client_message_id text not null,
      created_at timestamptz(3) not null default now(),
      constraint messages_body_length check (char_length(body) between 1 and 4000)
    )`.execute(db);
  // A conversation's messages in order, both directions (pages, lastMessage, catch-up, unread counts).
  await sql`create unique index messages_conversation_seq_key on messages.messages (conversation_id, seq)`.execute(db);
  // Idempotent sends: one message per (sender, clientMessageId), whatever the retries.
  await sql`create unique index messages_sender_client_id_key on messages.messages (sender_id, client_message_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists messages.messages`.execute(db);
  await sql`drop table if exists messages.members`.execute(db);
  await sql`drop table if exists messages.conversations`.execute(db);
}
