import type { Kysely } from 'kysely';
import { AsyncQueue } from '../../lib/async-queue.js';
import { BadUserInputError, RateLimitedError } from '../../lib/errors.js';
import type { MessageRow, MessagesDatabase } from './conversation.table.js';
import { DeliveredSeqs } from './delivered-seqs.js';
import { messagesAfterMessage, messagesAfterSeq } from './message.repository.js';
import type { MessageFeed } from './message-feed.js';

/** At most this many messages are replayed by one catch-up; beyond it the client resumes from the last one. */
export const MAX_REPLAY = 1000;
/** Events a subscriber may fall behind by before its subscription ends (memory bound). */
export const MAX_BUFFERED_EVENTS = 10_000;

/**
 * The event stream of one `messageAdded` subscription, already authorized (the viewer is a
 * member of `conversationId`; `after` is a message the viewer can see, of that conversation).
 *
 * Catch-up without gap or duplicate: the live listener is registered FIRST and holds what
 * arrives, THEN history is read from PostgreSQL and emitted in order, THEN what was held and
 * everything live, each event dropped if its (conversation, seq) was already emitted. A
 * message committed before the history read is in the history; one committed after it is
 * published after the listener existed, so it is held or live: nothing falls between.
 *
 * Replay: with a conversation, its messages with seq > after.seq; without, in after's
 * conversation by seq and in the viewer's other conversations those created after `after`
 * (message.repository.ts), ordered by (created_at, conversation, seq) with each
 * conversation kept in seq order. More than MAX_REPLAY missed: the first MAX_REPLAY are
 * emitted, then the subscription ends with BAD_USER_INPUT on `after` (resubscribe with the
 * last message received); it never skips silently.
 */
export async function openMessageStream(options: {
  db: Kysely<MessagesDatabase>;
  feed: MessageFeed;
  viewerId: string;
  conversationId: string | null;
  after: MessageRow | null;
}): Promise<AsyncIterableIterator<MessageRow>> {
  const { db, feed, viewerId, conversationId, after } = options;
  const delivered = new DeliveredSeqs();
  let held: MessageRow[] | null = after === null ? null : [];
  const queue: AsyncQueue<MessageRow> = new AsyncQueue<MessageRow>({
    limit: MAX_BUFFERED_EVENTS,
    overflowError: () =>
      new RateLimitedError(
        `Subscription ended: more than ${MAX_BUFFERED_EVENTS} events were waiting to be sent. Subscribe again with \`after\`.`,
        0,
      ),
    onEnd: () => unwatch(),
  });
  const deliver = (message: MessageRow) => {
    if (delivered.accept(message.conversation_id, message.seq)) queue.push(message);
  };
  const unwatch = feed.watchMessages({ viewerId, conversationId }, (message) => {
    if (held === null) {
      deliver(message);
      return;
    }
    held.push(message);
    if (held.length > MAX_BUFFERED_EVENTS) {
      held = [];
      queue.end(
        new RateLimitedError('Subscription ended: too many messages arrived during catch-up. Subscribe again with `after`.', 0),
      );
    }
  });
  if (after === null) return queue;

  let history: MessageRow[];
  try {
    history = await readMissed(db, { viewerId, conversationId, after, limit: MAX_REPLAY + 1 });
  } catch (error) {
    await queue.return();
    throw error;
  }
  delivered.raiseFloor(after.conversation_id, after.seq);
  for (const message of history.slice(0, MAX_REPLAY)) deliver(message);
  if (history.length > MAX_REPLAY) {
    queue.end(
      new BadUserInputError(
        `More than ${MAX_REPLAY} messages to replay: the first ${MAX_REPLAY} were sent. Subscribe again with \`after\` set to the last one.`,
        'after',
      ),
    );
    return queue;
  }
  const buffered = held ?? [];
  held = null;
  for (const message of buffered) deliver(message);
  return queue;
}

async function readMissed(
  db: Kysely<MessagesDatabase>,
  options: { viewerId: string; conversationId: string | null; after: MessageRow; limit: number },
): Promise<MessageRow[]> {
  const { viewerId, conversationId, after, limit } = options;
  if (conversationId !== null) return messagesAfterSeq(db, { conversationId, afterSeq: after.seq, limit });
  return keepSeqOrder(await messagesAfterMessage(db, { userId: viewerId, afterId: after.id, limit }));
}

/**
 * Rows ordered by (created_at, conversation, seq), re-merged so that each conversation stays in
 * seq order: created_at is the sending transaction's start, so two concurrent batches of one
 * conversation can have seq and created_at in opposite orders. A k-way merge of the
 * conversations (each sorted by seq) by the position of their next row in the input keeps the
 * input's order wherever it agrees with seq.
 */
export function keepSeqOrder(rows: readonly MessageRow[]): MessageRow[] {
  const position = new Map(rows.map((row, index) => [row, index]));
  const byConversation = new Map<string, MessageRow[]>();
  for (const row of rows) {
    const list = byConversation.get(row.conversation_id);
    if (list === undefined) byConversation.set(row.conversation_id, [row]);
    else list.push(row);
  }
  const queues = [...byConversation.values()].map((list) => list.sort((a, b) => a.seq - b.seq));
  const merged: MessageRow[] = [];
  while (merged.length < rows.length) {
    let next: MessageRow[] | undefined;
    for (const candidate of queues) {
      const head = candidate[0];
      if (head === undefined) continue;
      const best = next?.[0];
      if (best === undefined || (position.get(head) ?? 0) < (position.get(best) ?? 0)) next = candidate;
    }
    const row = next?.shift();
    if (row === undefined) break;
    merged.push(row);
  }
  return merged;
}
