import { type Kysely, sql, type Transaction } from 'kysely';
import type { MessageRow, MessagesDatabase } from './tables.js';

type Db = Kysely<MessagesDatabase> | Transaction<MessagesDatabase>;

const MESSAGE_COLUMNS = sql`x.id, x.conversation_id, x.seq, x.sender_id, x.body, x.client_message_id, x.created_at`;

export interface NewMessage {
  conversationId: string;
  senderId: string;
  body: string;
  clientMessageId: string;
}

/**
 * Stores many messages in ONE statement (one short transaction), for any mix of conversations.
 *
 * Ordering: each conversation's row is locked (in id order, so concurrent batches never
 * deadlock) and its `last_seq` raised by the number of new messages, which take the numbers in
 * between. The lock is held until commit, so a later number cannot be committed before an
 * earlier one: a reader that sees message n has already been able to see every message < n.
 *
 * Only members' messages are stored, and a (sender, clientMessageId) that exists is skipped:
 * callers look those up afterwards (`findBySenderKeys`) to answer retries with the first message.
 * A concurrent retry that slips past the pre-check is dropped by ON CONFLICT and leaves a gap
 * in the sequence: numbers are strictly increasing, not dense.
 */
export async function insertMessages(db: Db, messages: readonly NewMessage[]): Promise<MessageRow[]> {
  const { rows } = await sql<MessageRow>`
    with input as (
      select * from unnest(
        ${messages.map((m) => m.conversationId)}::uuid[],
        ${messages.map((m) => m.senderId)}::uuid[],
        ${messages.map((m) => m.body)}::text[],
        ${messages.map((m) => m.clientMessageId)}::text[]
      ) with ordinality as t (conversation_id, sender_id, body, client_message_id, ord)
    ),
    allowed as (
      select i.* from input i
       where exists (select 1 from messages.members m where m.conversation_id = i.conversation_id and m.user_id = i.sender_id)
         and not exists (select 1 from messages.messages x where x.sender_id = i.sender_id and x.client_message_id = i.client_message_id)
    ),
    counts as (
      select conversation_id, count(*)::int as n from allowed group by conversation_id
    ),
    locked as (
      select c.id from messages.conversations c where c.id in (select conversation_id from counts) order by c.id for update
    ),
    bumped as (
      update messages.conversations c
         set last_seq = c.last_seq + counts.n, updated_at = now()
        from counts
       where c.id = counts.conversation_id and c.id in (select id from locked)
      returning c.id, c.last_seq, counts.n
    ),
    numbered as (
      select a.conversation_id, a.sender_id, a.body, a.client_message_id,
             (b.last_seq - b.n + row_number() over (partition by a.conversation_id order by a.ord))::int as seq
        from allowed a join bumped b on b.id = a.conversation_id
    )
    insert into messages.messages as x (conversation_id, seq, sender_id, body, client_message_id)
    select conversation_id, seq, sender_id, body, client_message_id from numbered
    on conflict (sender_id, client_message_id) do nothing
    returning ${MESSAGE_COLUMNS}`.execute(db);
  return rows;
}

/** Messages by (sender, clientMessageId): what a retried send returns. */
export async function findBySenderKeys(
  db: Db,
  keys: readonly { senderId: string; clientMessageId: string }[],
): Promise<MessageRow[]> {
  const { rows } = await sql<MessageRow>`
    select ${MESSAGE_COLUMNS}
      from unnest(${keys.map((k) => k.senderId)}::uuid[], ${keys.map((k) => k.clientMessageId)}::text[]) as k (sender_id, client_message_id)
      join messages.messages x on x.sender_id = k.sender_id and x.client_message_id = k.client_message_id`.execute(db);
  return rows;
}

/** Messages among `ids` in conversations `userId` is a member of (others are absent). */
export async function findMessagesForMember(db: Db, userId: string, ids: readonly string[]): Promise<MessageRow[]> {
  const { rows } = await sql<MessageRow>`
    select ${MESSAGE_COLUMNS}
      from messages.messages x
      join messages.members m on m.conversation_id = x.conversation_id and m.user_id = ${userId}::uuid
     where x.id = any(${[...ids]}::uuid[])`.execute(db);
  return rows;
}

/**
 * One page of messages, newest first, for each of many conversations in one statement: a
 * LATERAL scan of (conversation_id, seq) per conversation, below `beforeSeq` when given.
 */
export async function pageMessages(
  db: Db,
  options: { conversationIds: readonly string[]; beforeSeq: number | null; limit: number },
): Promise<MessageRow[]> {
  const before = options.beforeSeq === null ? sql`` : sql`and x.seq < ${options.beforeSeq}`;
  const { rows } = await sql<MessageRow>`
    select ${MESSAGE_COLUMNS}
      from unnest(${[...options.conversationIds]}::uuid[]) as c (id)
      cross join lateral (
        select * from messages.messages x
         where x.conversation_id = c.id ${before}
         order by x.seq desc
         limit ${options.limit}
      ) x
     order by x.conversation_id, x.seq desc`.execute(db);
  return rows;
}

/** The messages of one conversation after `afterSeq`, in seq order, at most `limit` (catch-up). */
export async function messagesAfterSeq(
  db: Db,
  options: { conversationId: string; afterSeq: number; limit: number },
): Promise<MessageRow[]> {
  const { rows } = await sql<MessageRow>`
    select ${MESSAGE_COLUMNS}
      from messages.messages x
     where x.conversation_id = ${options.conversationId}::uuid and x.seq > ${options.afterSeq}
     order by x.seq
     limit ${options.limit}`.execute(db);
  return rows;
}

/**
 * What `userId` missed in all their conversations since message `afterId` (catch-up without a
 * conversation): in that message's conversation, the messages after it by seq; in the others,
 * those created after it. Ordered by (created_at, conversation_id, seq), at most `limit`.
 * The after message's own values are read in SQL, at the database's precision.
 */
export async function messagesAfterMessage(
  db: Db,
  options: { userId: string; afterId: string; limit: number },
): Promise<MessageRow[]> {
  const { rows } = await sql<MessageRow>`
    with a as (
      select conversation_id, seq, created_at from messages.messages where id = ${options.afterId}::uuid
    ),
    missed as (
      select x.* from a join messages.messages x on x.conversation_id = a.conversation_id and x.seq > a.seq
      union all
      select x.* from a
        join messages.members m on m.user_id = ${options.userId}::uuid and m.conversation_id <> a.conversation_id
        join messages.messages x on x.conversation_id = m.conversation_id and x.created_at > a.created_at
    )
    select ${MESSAGE_COLUMNS}
      from missed x
     order by x.created_at, x.conversation_id, x.seq
     limit ${options.limit}`.execute(db);
  return rows;
}
