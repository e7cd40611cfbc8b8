import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { PubSub } from '../../lib/infra/pubsub.js';
import { createLogger } from '../../lib/kernel/logger.js';
import type { MessageRow } from '../../subgraphs/messages/db/tables.js';
import { decodeMessagesAdded } from '../../subgraphs/messages/realtime/message-events.js';
import { createMessagePublisher } from '../../subgraphs/messages/realtime/message-publisher.js';

const logger = createLogger({ level: 'silent', pretty: false });

function rows(conversationId: string, ...seqs: number[]): MessageRow[] {
  return seqs.map((seq) => ({
    id: `${conversationId}-${seq}`,
    conversation_id: conversationId,
    seq,
    sender_id: 'u1',
    body: `#${seq}`,
    client_message_id: `${conversationId}-${seq}`,
    created_at: new Date(),
  }));
}

/** A pub/sub that records what is published, and optionally fails. */
function recordingPubSub(fail = false) {
  const published: string[] = [];
  const pubsub: PubSub = {
    kind: 'memory',
    async publish(_channel, message) {
      if (fail) throw new Error('Redis is down');
      published.push(
        decodeMessagesAdded(message)
          .messages.map((m) => `${m.conversation_id}:${m.seq}`)
          .join(','),
      );
    },
    subscribe: () => () => undefined,
    onCommandError: () => () => undefined,
    close: async () => undefined,
  };
  return { pubsub, published };
}

const findMembers = async (ids: string[]) => ids.map((id) => ({ conversation_id: id, user_id: 'u1' }));

describe('message publisher', () => {
  it('publishes a conversation in seq order even when a later batch returns first', async () => {
    const { pubsub, published } = recordingPubSub();
    const publisher = createMessagePublisher({ findMembers, pubsub, logger });
    const first = publisher.begin();
    const second = publisher.begin();
    // `second` took the lock after `first` committed, but its answer is read first.
    const secondDone = second.committed(rows('c1', 4, 5));
    await sleep(5); // a window for a wrong early publish to show: what is tested is that none comes
    expect(published).toEqual([]);
    await Promise.all([first.committed(rows('c1', 1, 2, 3)), secondDone]);
    expect(published).toEqual(['c1:1,c1:2,c1:3', 'c1:4,c1:5']);
  });

  it('does not hold a batch for unrelated conversations once those batches returned', async () => {
    const { pubsub, published } = recordingPubSub();
    const publisher = createMessagePublisher({ findMembers, pubsub, logger });
    const slow = publisher.begin();
    const other = publisher.begin();
    const otherDone = other.committed(rows('c2', 1));
    // Still waiting: the slow batch could hold earlier messages of c2.
    await sleep(5); // a window for a wrong early publish to show: what is tested is that none comes
    expect(published).toEqual([]);
    const slowDone = slow.committed(rows('c1', 1));
    await Promise.all([otherDone, slowDone]);
    expect(published.sort()).toEqual(['c1:1', 'c2:1']);
    // A batch begun after those returned waits for nobody.
    await publisher.begin().committed(rows('c2', 2));
    expect(published.at(-1)).toBe('c2:2');
  });

  it('stops waiting for a batch that failed or stored nothing', async () => {
    const { pubsub, published } = recordingPubSub();
    const publisher = createMessagePublisher({ findMembers, pubsub, logger });
    const failing = publisher.begin();
    const empty = publisher.begin();
    const done = publisher.begin().committed(rows('c1', 1));
    failing.abandoned();
    await empty.committed([]);
    await done;
    expect(published).toEqual(['c1:1']);
  });

  it('never rejects: a failed publish is logged and later batches still go out', async () => {
    const { pubsub } = recordingPubSub(true);
    const publisher = createMessagePublisher({ findMembers, pubsub, logger });
    await expect(publisher.begin().committed(rows('c1', 1))).resolves.toBeUndefined();
    const failingLookup = createMessagePublisher({
      findMembers: async () => {
        throw new Error('database is gone');
      },
      pubsub,
      logger,
    });
    await expect(failingLookup.begin().committed(rows('c1', 1))).resolves.toBeUndefined();
  });
});
