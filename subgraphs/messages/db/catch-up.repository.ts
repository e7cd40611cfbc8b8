import { type Kysely, sql } from 'kysely';
import type { MessageRow, MessagesDatabase } from './tables.js';

/**
 * The reads of a live `messageAdded` stream that must catch up after a pub/sub gap
 * (message-stream.ts): where each of the viewer's conversations stood when the stream began,
 * and what was committed after given positions. Both are scoped to the viewer's CURRENT
 * memberships, so a conversation the viewer left yields nothing, as live routing does.
 */

/** conversation id → its last seq, for the viewer's conversations (or just `conversationId`). */
export async function conversationPositions(
  db: Kysely<MessagesDatabase>,
  options: { userId: string; conversationId: string | null },
): Promise<Map<string, number>> {
  const only = options.conversationId === null ? sql`` : sql`and m.conversation_id = ${options.conversationId}::uuid`;
  const { rows } = await sql<{ id: string; last_seq: number }>`
    select c.id, c.last_seq
      from messages.members m
      join messages.conversations c on c.id = m.conversation_id
     where m.user_id = ${options.userId}::uuid ${only}`.execute(db);
  return new Map(rows.map((row) => [row.id, row.last_seq]));
}

/**
 * The messages of the viewer's conversations (or of `conversationId`) with seq above
 * `from[conversation]` (0 for a conversation not in `from`: created after the stream began,
 * since members join only when a conversation is created), ordered by (created_at,
 * conversation, seq), at most `limit`.
 */
export async function messagesSince(
  db: Kysely<MessagesDatabase>,
  options: { userId: string; conversationId: string | null; from: ReadonlyMap<string, number>; limit: number },
): Promise<MessageRow[]> {
  const only = options.conversationId === null ? sql`` : sql`and m.conversation_id = ${options.conversationId}::uuid`;
  const { rows } = await sql<MessageRow>`
    select x.id, x.conversation_id, x.seq, x.sender_id, x.body, x.client_message_id, x.created_at
      from messages.members m
      left join unnest(${[...options.from.keys()]}::uuid[], ${[...options.from.values()]}::int[]) as f (conversation_id, seq)
        on f.conversation_id = m.conversation_id
      join messages.messages x on x.conversation_id = m.conversation_id and x.seq > coalesce(f.seq, 0)
     where m.user_id = ${options.userId}::uuid ${only}
     order by x.created_at, x.conversation_id, x.seq
     limit ${options.limit}`.execute(db);
  return rows;
}
