import { type Kysely, sql, type Transaction } from 'kysely';
import { olderThan } from '../../../lib/infra/db/keyset.js';
import type { ConversationRow, MessagesDatabase } from './tables.js';

type Db = Kysely<MessagesDatabase> | Transaction<MessagesDatabase>;

const CONVERSATION_COLUMNS = sql`c.id, c.title, c.is_group, c.direct_key, c.created_by, c.last_seq, c.created_at, c.updated_at`;

/** The conversations among `ids` that `userId` is a member of (others are simply absent). */
export async function findConversationsOfMember(db: Db, userId: string, ids: readonly string[]): Promise<ConversationRow[]> {
  const { rows } = await sql<ConversationRow>`
    select ${CONVERSATION_COLUMNS}
      from messages.conversations c
      join messages.members m on m.conversation_id = c.id and m.user_id = ${userId}::uuid
     where c.id = any(${[...ids]}::uuid[])`.execute(db);
  return rows;
}

export async function conversationExists(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('messages.conversations').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/**
 * Creates a conversation with its members in the caller's transaction. A 1:1 conversation has
 * a `directKey` (the ordered pair): when that pair already has one, nothing is written and the
 * existing conversation is returned. The unique index decides, so two people starting the same
 * conversation at the same moment get the same one (the second insert waits for the first).
 */
export interface NewConversation {
  readonly title: string | null;
  readonly isGroup: boolean;
  readonly directKey: string | null;
  readonly createdBy: string;
  readonly memberIds: readonly string[];
}

/** Creates a conversation and its members in one transaction (or finds the existing 1:1). */
export function createConversation(db: Kysely<MessagesDatabase>, input: NewConversation): Promise<ConversationRow> {
  return db.transaction().execute((trx) => createConversationIn(trx, input));
}

async function createConversationIn(trx: Transaction<MessagesDatabase>, input: NewConversation): Promise<ConversationRow> {
  const inserted = await trx
    .insertInto('messages.conversations')
    .values({ title: input.title, is_group: input.isGroup, direct_key: input.directKey, created_by: input.createdBy })
    .onConflict((oc) => oc.column('direct_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted === undefined) {
    return trx
      .selectFrom('messages.conversations')
      .selectAll()
      .where('direct_key', '=', input.directKey)
      .executeTakeFirstOrThrow();
  }
  await trx
    .insertInto('messages.members')
    .values(input.memberIds.map((userId) => ({ conversation_id: inserted.id, user_id: userId })))
    .execute();
  return inserted;
}

/**
 * The viewer's conversations, most recent activity first, keyset on (updated_at, id): one
 * statement for the page.
 */
export async function pageConversations(
  db: Db,
  options: { userId: string; after: { at: Date; id: string } | null; limit: number },
): Promise<ConversationRow[]> {
  const after = olderThan(options.after, { at: 'c.updated_at', id: 'c.id' });
  const { rows } = await sql<ConversationRow>`
    select ${CONVERSATION_COLUMNS}
      from messages.members m
      join messages.conversations c on c.id = m.conversation_id
     where m.user_id = ${options.userId}::uuid ${after}
     order by c.updated_at desc, c.id desc
     limit ${options.limit}`.execute(db);
  return rows;
}

/** Member ids of many conversations, in joining order. */
export async function findMembers(
  db: Db,
  conversationIds: readonly string[],
): Promise<{ conversation_id: string; user_id: string }[]> {
  return db
    .selectFrom('messages.members')
    .select(['conversation_id', 'user_id'])
    .where('conversation_id', '=', sql<string>`any(${[...conversationIds]}::uuid[])`)
    .orderBy('joined_at')
    .orderBy('user_id')
    .execute();
}

/** For each of the member's conversations among `conversationIds`: messages after their read marker sent by others. */
export async function countUnread(
  db: Db,
  userId: string,
  conversationIds: readonly string[],
): Promise<{ conversation_id: string; unread: number }[]> {
  const { rows } = await sql<{ conversation_id: string; unread: number }>`
    select m.conversation_id,
           (select count(*)::int from messages.messages x
             where x.conversation_id = m.conversation_id and x.seq > m.last_read_seq and x.sender_id <> m.user_id) as unread
      from messages.members m
     where m.user_id = ${userId}::uuid and m.conversation_id = any(${[...conversationIds]}::uuid[])`.execute(db);
  return rows;
}

/**
 * Moves the member's read marker to the message's sequence number if that is further on
 * (GREATEST: never backward). Returns false when nothing matched: not a member, or the
 * message is not in this conversation.
 */
export async function advanceReadMarker(
  db: Db,
  options: { conversationId: string; userId: string; messageId: string },
): Promise<boolean> {
  const { rows } = await sql<{ last_read_seq: number }>`
    update messages.members m
       set last_read_seq = greatest(m.last_read_seq, x.seq)
      from messages.messages x
     where x.id = ${options.messageId}::uuid and x.conversation_id = ${options.conversationId}::uuid
       and m.conversation_id = ${options.conversationId}::uuid and m.user_id = ${options.userId}::uuid
    returning m.last_read_seq`.execute(db);
  return rows.length > 0;
}

export async function isMember(db: Db, conversationId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('messages.members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Removes a member from a group; false when there was nothing to remove. */
export async function removeGroupMember(db: Db, conversationId: string, userId: string): Promise<boolean> {
  const { rows } = await sql<{ user_id: string }>`
    delete from messages.members m
     using messages.conversations c
     where c.id = m.conversation_id and c.is_group
       and m.conversation_id = ${conversationId}::uuid and m.user_id = ${userId}::uuid
    returning m.user_id`.execute(db);
  return rows.length > 0;
}
