import type { PubSub } from '../../../lib/infra/pubsub.js';
import type { Logger } from '../../../lib/kernel/logger.js';
import type { MessageRow } from '../db/tables.js';
import { encodeMessagesAdded, MESSAGES_ADDED_CHANNEL } from './message-events.js';

/**
 * Publishes each committed send batch on `messages:added`: ONE pub/sub message per batch with
 * the new messages and the current members of their conversations (ONE members statement per
 * batch, not per message, started as soon as the batch committed).
 *
 * The sender calls `begin()` before a batch's INSERT and `committed(rows)` (or `abandoned()`)
 * when it returns. The publishes of one conversation go out in seq order, which is commit
 * order. That is not simply the order in which INSERTs return: with a pool, two batches of
 * one conversation run on two connections, the second waits for the first's row lock, and
 * when both answers arrive in the same turn of the event loop either may be read first. So a
 * committed batch is published only once
 *   1. every batch that was still running when it returned has returned too (any batch with
 *      lower seqs committed before it, so it was running then, or is done), and
 *   2. no returned, unpublished batch has lower seqs in a conversation they share.
 * (Two batches that share conversations commit in the same order in all of them: rows are
 * locked in id order.) Publishes of another instance are not ordered with these; subscribers
 * deliver such a late event late rather than drop it (delivered-seqs.ts).
 *
 * `committed()` resolves once the batch's publish is done and never rejects: a failure is
 * logged and the send stays successful. PostgreSQL is the truth; a subscriber that missed an
 * event catches up with `after`.
 */
export interface MessagePublisher {
  begin(): PendingBatch;
}

export interface PendingBatch {
  /** The batch committed, storing `rows` (possibly none). */
  committed(rows: readonly MessageRow[]): Promise<void>;
  /** The batch failed: nothing to publish, and nobody waits for it any more. */
  abandoned(): void;
}

interface Batch {
  rows: readonly MessageRow[];
  /** The lowest new seq per conversation. */
  firstSeq: Map<string, number>;
  /** Tokens of the batches still running when this one returned (rule 1). */
  runningThen: Set<object>;
  members: Promise<{ rows: { conversation_id: string; user_id: string }[] } | { error: unknown }>;
  settle: () => void;
}

/** The member rows of conversations: `findMembers` of conversation.repository.ts, one statement. */
type FindMembers = (conversationIds: string[]) => Promise<{ conversation_id: string; user_id: string }[]>;

export function createMessagePublisher(options: { findMembers: FindMembers; pubsub: PubSub; logger: Logger }): MessagePublisher {
  const { findMembers, pubsub, logger } = options;
  /** One token per batch between begin() and its INSERT returning. */
  const running = new Set<object>();
  /** Returned and not yet published, in the order they returned. */
  const waiting: Batch[] = [];
  /** Publishes are issued one after the other, in the order decided below. */
  let lastPublish: Promise<void> = Promise.resolve();

  const isReady = (batch: Batch) => {
    for (const other of batch.runningThen) if (running.has(other)) return false;
    for (const other of waiting) {
      if (other === batch) continue;
      for (const [conversationId, seq] of batch.firstSeq) {
        const theirs = other.firstSeq.get(conversationId);
        if (theirs !== undefined && theirs < seq) return false;
      }
    }
    return true;
  };

  const publishReady = () => {
    for (let index = waiting.findIndex(isReady); index !== -1; index = waiting.findIndex(isReady)) {
      const [batch] = waiting.splice(index, 1);
      if (batch === undefined) break;
      lastPublish = lastPublish.then(() => publish(batch)).then(batch.settle);
    }
  };

  const publish = async (batch: Batch) => {
    const conversationIds = [...batch.firstSeq.keys()];
    try {
      const result = await batch.members;
      if ('error' in result) throw result.error;
      const byConversation = new Map<string, string[]>(conversationIds.map((id) => [id, []]));
      for (const row of result.rows) byConversation.get(row.conversation_id)?.push(row.user_id);
      await pubsub.publish(MESSAGES_ADDED_CHANNEL, encodeMessagesAdded(batch.rows, byConversation));
    } catch (error) {
      logger.error(
        { err: error, messages: batch.rows.length, conversations: conversationIds.length },
        'publishing new messages failed: live subscribers miss them until they catch up',
      );
    }
  };

  return {
    begin() {
      const token = {};
      running.add(token);
      return {
        committed(rows) {
          running.delete(token);
          if (rows.length === 0) {
            publishReady();
            return Promise.resolve();
          }
          const firstSeq = new Map<string, number>();
          for (const row of rows)
            firstSeq.set(row.conversation_id, Math.min(row.seq, firstSeq.get(row.conversation_id) ?? row.seq));
          return new Promise<void>((settle) => {
            const batch: Batch = {
              rows: [...rows].sort((a, b) => a.seq - b.seq),
              firstSeq,
              runningThen: new Set(running),
              // Started now, awaited in turn: only the publishes are ordered, not the lookups.
              members: findMembers([...firstSeq.keys()]).then(
                (found) => ({ rows: found }),
                (error: unknown) => ({ error }),
              ),
              settle,
            };
            waiting.push(batch);
            publishReady();
          });
        },
        abandoned() {
          running.delete(token);
          publishReady();
        },
      };
    },
  };
}
