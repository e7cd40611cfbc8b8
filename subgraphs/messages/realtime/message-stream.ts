import type { Kysely } from 'kysely';
import { AppError, BadUserInputError, RateLimitedError } from '../../../lib/kernel/errors.js';
import type { Logger } from '../../../lib/kernel/logger.js';
import { AsyncQueue } from '../../../lib/realtime/async-queue.js';
import { conversationPositions, messagesSince } from '../db/catch-up.repository.js';
import { messagesAfterMessage, messagesAfterSeq } from '../db/message.repository.js';
import type { MessageRow, MessagesDatabase } from '../db/tables.js';
import { DeliveredSeqs } from './delivered-seqs.js';
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
 *
 * Gaps in the live feed (Redis pub/sub lost or a publish failed; message-feed.ts): the stream
 * catches up the same way, without the client doing anything. Where events can be missed, it
 * reads each conversation's last seq BEFORE registering its listener (`positions`: nothing at
 * or below them is owed to it, but everything above is). On a gap it holds live events again,
 * reads from PostgreSQL every message above max(position, what it already counts as
 * delivered) in the viewer's current conversations, emits those not yet emitted, then what it
 * held. Each conversation's position then moves up to the highest seq read (a reader that
 * sees seq n sees every seq below n). A gap signalled during a catch-up runs another one after
 * it. If the read fails, the subscription ends with an error (resubscribe with `after`).
 */
export async function openMessageStream(options: {
  db: Kysely<MessagesDatabase>;
  feed: MessageFeed;
  viewerId: string;
  conversationId: string | null;
  after: MessageRow | null;
  logger?: Logger;
}): Promise<AsyncIterableIterator<MessageRow>> {
  const { db, feed, viewerId, conversationId, after, logger } = options;
  const delivered = new DeliveredSeqs();
  const positions = feed.mayLoseEvents ? await conversationPositions(db, { userId: viewerId, conversationId }) : null;
  let held: MessageRow[] | null = after === null ? null : [];
  /** A gap was signalled while events were held (a catch-up running): catch up once more after it. */
  let gapPending = false;
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
    if (!delivered.accept(message.conversation_id, message.seq)) return false;
    queue.push(message);
    return true;
  };
  const release = () => {
    const buffered = held ?? [];
    held = null;
    for (const message of buffered) deliver(message);
  };
  const catchUpGaps = async () => {
    while (gapPending && !queue.ended && positions !== null) {
      gapPending = false;
      if (!(await catchUpOnce(positions))) return;
    }
    release();
  };
  /** One read after a gap; false when the stream ended. */
  const catchUpOnce = async (known: Map<string, number>): Promise<boolean> => {
    const from = new Map(known);
    for (const id of delivered.conversations()) from.set(id, Math.max(from.get(id) ?? 0, delivered.floorOf(id)));
    // What was delivered above the floors may be read again (and dropped): it does not count against MAX_REPLAY.
    const limit = MAX_REPLAY + 1 + delivered.remembered;
    let rows: MessageRow[];
    try {
      rows = keepSeqOrder(await messagesSince(db, { userId: viewerId, conversationId, from, limit }));
    } catch (error) {
      logger?.error({ err: error, viewerId }, 'messageAdded: catching up after a pub/sub gap failed');
      queue.end(
        new AppError(
          'INTERNAL_SERVER_ERROR',
          'Subscription ended: missed messages could not be read. Subscribe again with `after`.',
        ),
      );
      return false;
    }
    if (queue.ended) return false;
    let sent = 0;
    for (const row of rows) {
      if (sent === MAX_REPLAY) break;
      if (deliver(row)) sent++;
    }
    if (rows.length === limit) {
      queue.end(
        new BadUserInputError(
          `More than ${MAX_REPLAY} messages missed while the live feed was interrupted: the first ones were sent. Subscribe again with \`after\` set to the last one.`,
          'after',
        ),
      );
      return false;
    }
    for (const row of rows) known.set(row.conversation_id, Math.max(known.get(row.conversation_id) ?? 0, row.seq));
    return true;
  };
  const unwatch = feed.watchMessages(
    { viewerId, conversationId },
    (message) => {
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
    },
    () => {
      if (queue.ended || positions === null) return;
      gapPending = true;
      if (held !== null) return;
      held = [];
      void catchUpGaps();
    },
  );
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
  if (gapPending) void catchUpGaps();
  else release();
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
