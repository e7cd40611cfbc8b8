import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openPubSub, type PubSub } from '../../lib/infra/pubsub.js';
import { createLogger } from '../../lib/kernel/logger.js';
import type { MessageRow } from '../../subgraphs/messages/db/tables.js';
import {
  decodeMessagesAdded,
  encodeMessagesAdded,
  encodeTyping,
  MESSAGES_ADDED_CHANNEL,
  TYPING_CHANNEL,
} from '../../subgraphs/messages/realtime/message-events.js';
import { createMessageFeed, type MessageFeed } from '../../subgraphs/messages/realtime/message-feed.js';
import { keepSeqOrder } from '../../subgraphs/messages/realtime/message-stream.js';
import { openTypingStream } from '../../subgraphs/messages/realtime/typing-stream.js';
import { until } from '../support/until.js';

const logger = createLogger({ level: 'silent', pretty: false });

function row(conversationId: string, seq: number, createdAt = new Date(Date.UTC(2026, 11, 1, 10, 0, seq))): MessageRow {
  return {
    id: `${conversationId}-${seq}`,
    conversation_id: conversationId,
    seq,
    sender_id: 'sender',
    body: `${conversationId} #${seq}`,
    client_message_id: `k-${conversationId}-${seq}`,
    created_at: createdAt,
  };
}

let pubsub: PubSub;
let feed: MessageFeed;
beforeEach(() => {
  pubsub = openPubSub(undefined, logger);
  feed = createMessageFeed(pubsub, logger);
});
afterEach(async () => {
  feed.close();
  await pubsub.close();
});

const publishMessages = (messages: MessageRow[], members: Record<string, string[]>) =>
  pubsub.publish(MESSAGES_ADDED_CHANNEL, encodeMessagesAdded(messages, new Map(Object.entries(members))));

describe('message events', () => {
  it('round-trip a batch to the row shape the resolvers read', () => {
    const rows = [row('c1', 1), row('c2', 7)];
    const decoded = decodeMessagesAdded(encodeMessagesAdded(rows, new Map([['c1', ['u1']]])));
    expect(decoded.messages).toEqual(rows);
    expect([...decoded.members]).toEqual([['c1', ['u1']]]);
  });
});

describe('message feed', () => {
  it('routes each message by the member list it carries: one conversation, or all of the viewer’s', async () => {
    const ada = { one: [] as number[], all: [] as string[] };
    const unwatchOne = feed.watchMessages({ viewerId: 'ada', conversationId: 'c1' }, (m) => ada.one.push(m.seq));
    feed.watchMessages({ viewerId: 'ada', conversationId: null }, (m) => ada.all.push(m.body));
    const eve: string[] = [];
    feed.watchMessages({ viewerId: 'eve', conversationId: null }, (m) => eve.push(m.body));

    await publishMessages([row('c1', 1), row('c2', 1), row('c1', 2)], { c1: ['ada', 'bob'], c2: ['ada'] });
    // Ada left c1: the next event's member list says so, and she gets nothing more of it.
    await publishMessages([row('c1', 3), row('c2', 2)], { c1: ['bob'], c2: ['ada'] });
    // Each event reaches all its watchers at once: once the last one arrived, the others did.
    await until(() => ada.all.includes('c2 #2'));
    expect(ada.one).toEqual([1, 2]);
    expect(ada.all).toEqual(['c1 #1', 'c2 #1', 'c1 #2', 'c2 #2']);
    expect(eve).toEqual([]);

    unwatchOne();
    await publishMessages([row('c1', 4)], { c1: ['ada'] });
    await until(() => ada.all.includes('c1 #4'));
    expect(ada.one).toEqual([1, 2]);
    expect(ada.all.at(-1)).toBe('c1 #4');
  });

  it('drops a malformed event and keeps going', async () => {
    const seen: number[] = [];
    feed.watchMessages({ viewerId: 'ada', conversationId: null }, (m) => seen.push(m.seq));
    await pubsub.publish(MESSAGES_ADDED_CHANNEL, '{"messages": "nope"}');
    await pubsub.publish(MESSAGES_ADDED_CHANNEL, 'not json');
    await publishMessages([row('c1', 1)], { c1: ['ada'] });
    // Published after the malformed ones, so delivered after them.
    await until(() => seen.length > 0);
    expect(seen).toEqual([1]);
  });

  it('routes typing signals to the conversation’s watchers that are in its member list', async () => {
    const ada: string[] = [];
    const eve: string[] = [];
    feed.watchTyping({ viewerId: 'ada', conversationId: 'c1' }, (s) => ada.push(`${s.userId}:${s.typing}`));
    feed.watchTyping({ viewerId: 'eve', conversationId: 'c1' }, (s) => eve.push(`${s.userId}:${s.typing}`));
    feed.watchTyping({ viewerId: 'ada', conversationId: 'c2' }, () => ada.push('wrong conversation'));
    await pubsub.publish(
      TYPING_CHANNEL,
      encodeTyping({ conversationId: 'c1', userId: 'bob', typing: true, memberIds: ['ada', 'bob'] }),
    );
    await until(() => ada.length > 0);
    expect(ada).toEqual(['bob:true']);
    expect(eve).toEqual([]);
  });
});

describe('typing stream', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const signal = (userId: string, typing: boolean) =>
    pubsub.publish(TYPING_CHANNEL, encodeTyping({ conversationId: 'c1', userId, typing, memberIds: ['ada', 'bob', 'carl'] }));

  /** Runs pending microtasks and I/O callbacks (setImmediate is not faked). */
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  /** Everything the stream emits, collected in the background. */
  function collect(stream: AsyncIterableIterator<unknown>): unknown[] {
    const events: unknown[] = [];
    void (async () => {
      for await (const event of stream) events.push(event);
    })();
    return events;
  }

  it('skips the viewer’s own signals and follows an unrefreshed typing: true with a false after the TTL', async () => {
    const stream = openTypingStream({ feed, viewerId: 'ada', conversationId: 'c1', ttlMs: 1000 });
    const events = collect(stream);
    await signal('ada', true);
    await signal('bob', true);
    await flush();
    expect(events).toEqual([{ conversationId: 'c1', user: { id: 'bob' }, typing: true }]);

    vi.advanceTimersByTime(600);
    await signal('bob', true); // refresh: the countdown restarts
    await flush();
    vi.advanceTimersByTime(600);
    await flush();
    expect(events).toHaveLength(2);
    vi.advanceTimersByTime(400);
    await flush();
    expect(events.at(-1)).toEqual({ conversationId: 'c1', user: { id: 'bob' }, typing: false });
    expect(events).toHaveLength(3);

    // An explicit false clears the timer.
    await signal('carl', true);
    await signal('carl', false);
    await flush();
    vi.advanceTimersByTime(5000);
    await flush();
    expect(events.slice(3)).toEqual([
      { conversationId: 'c1', user: { id: 'carl' }, typing: true },
      { conversationId: 'c1', user: { id: 'carl' }, typing: false },
    ]);
    await stream.return?.();
  });

  it('clears its timers and stops listening when the subscription ends', async () => {
    const stream = openTypingStream({ feed, viewerId: 'ada', conversationId: 'c1', ttlMs: 1000 });
    await signal('bob', true);
    await flush();
    expect(vi.getTimerCount()).toBe(1);
    await stream.return?.();
    expect(vi.getTimerCount()).toBe(0);
    await signal('bob', true);
    await flush();
    expect(vi.getTimerCount()).toBe(0);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});

describe('keepSeqOrder', () => {
  it('keeps the (created_at, conversation, seq) order, except that a conversation never goes back in seq', () => {
    const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s));
    // In c1, seq 5 was created after seq 6 (two concurrent batches): 5 must still come first.
    const input = [row('c1', 6, t(1)), row('c2', 1, t(2)), row('c1', 5, t(3)), row('c2', 2, t(4)), row('c1', 7, t(5))];
    expect(keepSeqOrder(input).map((r) => `${r.conversation_id}:${r.seq}`)).toEqual(['c2:1', 'c1:5', 'c1:6', 'c2:2', 'c1:7']);
    const ordered = [row('c1', 1, t(1)), row('c2', 1, t(2)), row('c1', 2, t(3))];
    expect(keepSeqOrder(ordered)).toEqual(ordered);
  });
});
