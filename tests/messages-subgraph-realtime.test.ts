import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MessageRow, MessagesDatabase } from '../subgraphs/messages/db/tables.js';
import { encodeMessagesAdded, MESSAGES_ADDED_CHANNEL } from '../subgraphs/messages/realtime/message-events.js';
import type { MessageFeed } from '../subgraphs/messages/realtime/message-feed.js';
import { MAX_BUFFERED_EVENTS, MAX_REPLAY, openMessageStream } from '../subgraphs/messages/realtime/message-stream.js';
import { createMessageSender } from '../subgraphs/messages/services/send-messages.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { publishMessages, type SentMessage, sendMessage, startConversation } from './support/messages.js';
import { delta, scrape } from './support/metrics.js';
import { TEST_JWT_SECRET, usePlatform } from './support/platform.js';
import { until } from './support/until.js';
import {
  connectToSubgraph,
  errorsOf,
  pausableWebSocket,
  type Subscription,
  subscribe,
  type TestSocket,
  untilLive,
} from './support/websocket.js';

/**
 * The messages subgraph's own WebSocket endpoint (what the gateway connects to), tested
 * directly: messages are sent through the gateway's HTTP API, events read from the subgraph.
 */

const TYPING_TTL_MS = 400;

const platform = usePlatform({ TYPING_TTL_MS: String(TYPING_TTL_MS) });
let url: string;
let subgraphUrl: string;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  url = platform.gatewayUrl;
  subgraphUrl = platform.subgraphs.messages.url;
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
});

function connect(connectionParams: Record<string, unknown> = {}): TestSocket {
  const socket = connectToSubgraph(subgraphUrl, platform.config.subgraphSigning.secret, connectionParams);
  sockets.push(socket);
  return socket;
}

const as = (user: TestUser) => ({ authorization: `Bearer ${user.token}` });

const MESSAGE_ADDED = /* GraphQL */ `
  subscription ($c: ID, $after: ID) {
    messageAdded(conversationId: $c, after: $after) { id body clientMessageId createdAt sender { id } conversation { id } }
  }
`;
const TYPING = /* GraphQL */ `
  subscription ($c: ID!) { typing(conversationId: $c) { conversationId typing user { id } } }
`;
const SET_TYPING = /* GraphQL */ `
  mutation ($c: ID!, $t: Boolean!) { setTyping(conversationId: $c, typing: $t) }
`;

interface MessageEvent {
  messageAdded: {
    id: string;
    body: string;
    clientMessageId: string;
    createdAt: string;
    sender: { id: string };
    conversation: { id: string };
  };
}
interface TypingEvent {
  typing: { conversationId: string; typing: boolean; user: { id: string } };
}

/** The messages of an operation's results (failing on any error result), warm-ups left out. */
function messagesOf(operation: Subscription<MessageEvent>): MessageEvent['messageAdded'][] {
  for (const result of operation.events) expect(result.errors).toBeUndefined();
  return operation.events
    .map((result) => result.data?.messageAdded)
    .filter((message): message is MessageEvent['messageAdded'] => message !== undefined && !message.body.startsWith('warm-up'));
}

/** A conversation's stored messages in seq order, warm-ups left out: what a subscriber must see. */
async function storedMessages(conversationId: string): Promise<{ id: string; seq: number; body: string; sender_id: string }[]> {
  const { rows } = await sql<{ id: string; seq: number; body: string; sender_id: string }>`
    select id, seq, body, sender_id from messages.messages
     where conversation_id = ${conversationId} and body not like 'warm-up%' order by seq`.execute(platform.database.kysely);
  return rows;
}

function expectMatchesSent(event: MessageEvent['messageAdded'], sent: SentMessage, senderId: string, conversationId: string) {
  expect(event).toEqual({
    id: sent.id,
    body: sent.body,
    clientMessageId: sent.clientMessageId,
    createdAt: sent.createdAt,
    sender: { id: senderId },
    conversation: { id: conversationId },
  });
}

describe('messageAdded on the messages subgraph', () => {
  it('delivers 100 messages of 5 concurrent senders live and in order, to members only', async () => {
    const members: TestUser[] = await Promise.all(Array.from({ length: 5 }, () => registerUser(url)));
    const [owner, second, ...rest] = members as [TestUser, TestUser, ...TestUser[]];
    const [outsider, friend] = await Promise.all([registerUser(url), registerUser(url)]);
    const group = await startConversation(url, owner, [second, ...rest], 'live');
    const outsiders = await startConversation(url, outsider, [friend]);

    const socket = connect();
    const one = subscribe<MessageEvent>(socket, MESSAGE_ADDED, { c: group.id }, as(owner));
    const all = subscribe<MessageEvent>(socket, MESSAGE_ADDED, {}, as(second));
    const other = subscribe<MessageEvent>(socket, MESSAGE_ADDED, {}, as(outsider));
    await untilLive([one, all], () => sendMessage(url, owner, group.id, 'warm-up'));
    await untilLive([other], () => sendMessage(url, friend, outsiders.id, 'warm-up'));

    const sent = new Map<string, { message: SentMessage; senderId: string }>();
    await Promise.all(
      members.map(async (sender, s) => {
        for (let i = 0; i < 20; i += 1) {
          const message = await sendMessage(url, sender, group.id, `${s}:${i}`);
          sent.set(message.id, { message, senderId: sender.id });
        }
      }),
    );
    const stored = await storedMessages(group.id);
    expect(stored).toHaveLength(100);
    for (const operation of [one, all]) {
      await operation.until(() => messagesOf(operation).length >= 100);
      const events = messagesOf(operation);
      // Exactly the stored messages, in seq order: no gap, no duplicate, no reordering.
      expect(events.map((event) => event.id)).toEqual(stored.map((row) => row.id));
      for (const event of events) {
        const origin = sent.get(event.id);
        expect(origin).toBeDefined();
        if (origin !== undefined) expectMatchesSent(event, origin.message, origin.senderId, group.id);
      }
      for (let s = 0; s < 5; s += 1) {
        const own = events.filter((event) => event.body.startsWith(`${s}:`)).map((event) => event.body);
        expect(own).toEqual(Array.from({ length: 20 }, (_, i) => `${s}:${i}`));
      }
    }

    // The outsider's subscription saw its own conversation only.
    const last = await sendMessage(url, friend, outsiders.id, 'only this');
    await other.until(() => messagesOf(other).length >= 1);
    expect(messagesOf(other)).toEqual([expect.objectContaining({ id: last.id, body: 'only this' })]);
    expect(other.events.every((result) => result.data?.messageAdded.conversation.id === outsiders.id)).toBe(true);
  });

  it('resolves each event with current data: conversation { lastMessage unreadCount } is not cached across events', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const socket = connect();
    const subscription = subscribe<{
      messageAdded: { id: string; body: string; conversation: { lastMessage: { id: string }; unreadCount: number } };
    }>(
      socket,
      `subscription ($c: ID) { messageAdded(conversationId: $c) { id body conversation { lastMessage { id } unreadCount } } }`,
      { c: conversation.id },
      as(bob),
    );
    let warmUps = 0;
    await untilLive([subscription], () => {
      warmUps += 1;
      return sendMessage(url, ada, conversation.id, 'warm-up');
    });
    for (let i = 1; i <= 3; i += 1) {
      const message = await sendMessage(url, ada, conversation.id, `n${i}`);
      const results = await subscription.until((all) => all.some((result) => result.data?.messageAdded.id === message.id));
      const event = results.find((result) => result.data?.messageAdded.id === message.id);
      expect(event?.errors).toBeUndefined();
      expect(event?.data?.messageAdded).toEqual({
        id: message.id,
        body: `n${i}`,
        conversation: { lastMessage: { id: message.id }, unreadCount: warmUps + i },
      });
    }
  });

  /** A subscriber on a socket the test can stop reading from, and a publisher of numbered events to it. */
  async function readerThatCanPause() {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const pausable = pausableWebSocket();
    const socket = connectToSubgraph(subgraphUrl, platform.config.subgraphSigning.secret, {}, pausable.impl);
    sockets.push(socket);
    const subscription = subscribe<{ messageAdded: { id: string; body: string } }>(
      socket,
      'subscription ($c: ID) { messageAdded(conversationId: $c) { id body } }',
      { c: conversation.id },
      as(bob),
    );
    await untilLive([subscription], () => sendMessage(url, ada, conversation.id, 'warm-up'));
    const reader = pausable.created[0];
    if (reader === undefined) throw new Error('no client socket');
    const seqs = { next: 2_000_000 };
    const publish = (count: number, body: string) =>
      publishMessages(platform.pubsub, {
        conversationId: conversation.id,
        senderId: ada.id,
        memberIds: [ada.id, bob.id],
        count,
        body,
        seqs,
      });
    const received = () =>
      subscription.events
        .map((result) => result.data?.messageAdded)
        .filter((message) => message !== undefined && !message.body.startsWith('warm-up'))
        .map((message) => message?.id);
    return { reader, subscription, publish, received };
  }

  // 24 MB: far more than the kernel's socket buffers, so the subgraph's socket stays over its
  // 1 MiB mark and the subscription's stream holds the rest (lib/realtime/async-queue.ts, forward).
  const BIG_BODY = 'x'.repeat(16 * 1024);

  it('holds the events of a reader that stopped reading, and delivers all of them in order once it reads again', async () => {
    const { reader, subscription, publish, received } = await readerThatCanPause();
    reader.pause();
    const ids = await publish(1500, BIG_BODY);
    reader.resume();
    await subscription.until(() => received().includes(ids.at(-1)), 30_000);
    expect(received()).toEqual(ids);
  });

  it(`ends with RATE_LIMITED a reader more than ${MAX_BUFFERED_EVENTS} events behind, after the events it was sent`, async () => {
    const { reader, subscription, publish, received } = await readerThatCanPause();
    const before = await scrape(platform, 'messages');
    reader.pause();
    const ids = [...(await publish(1500, BIG_BODY)), ...(await publish(MAX_BUFFERED_EVENTS, 'small'))];
    reader.resume();
    const ending = await subscription.ended;
    expect(errorsOf(ending).map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    // What it got is the start of what was published, in order, and not all of it.
    const got = received();
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(ids.length - MAX_BUFFERED_EVENTS);
    expect(got).toEqual(ids.slice(0, got.length));
    // The held events that went with the subscription are counted (docs/metrics.md).
    const after = await scrape(platform, 'messages');
    expect(delta(before, after, 'subscription_events_dropped_total', { reason: 'queue_overflow' })).toBe(MAX_BUFFERED_EVENTS + 1);
  });

  it('reads no row for `conversation { id }` in an event, and one statement when a field needs the row', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob], 'titled');
    const socket = connect();
    const subscribeTo = (selection: string) =>
      subscribe<{ messageAdded: { id: string; conversation: { id: string; title?: string } } }>(
        socket,
        `subscription ($c: ID) { messageAdded(conversationId: $c) { id conversation { ${selection} } } }`,
        { c: conversation.id },
        as(bob),
      );
    const stats = platform.subgraphs.messages.queryStats;
    /** Publishes one message as the subgraph would after a commit: the statements counted are the event's alone. */
    const statementsForOneEvent = async (operation: ReturnType<typeof subscribeTo>) => {
      const id = randomUUID();
      const before = stats.statements;
      await platform.pubsub.publish(
        MESSAGES_ADDED_CHANNEL,
        encodeMessagesAdded(
          [
            {
              id,
              conversation_id: conversation.id,
              seq: 1_000_000 + operation.events.length,
              sender_id: ada.id,
              body: 'counted',
              client_message_id: randomUUID(),
              created_at: new Date(),
            },
          ],
          new Map([[conversation.id, [ada.id, bob.id]]]),
        ),
      );
      const results = await operation.until((all) => all.some((result) => result.data?.messageAdded.id === id));
      await sleep(50); // a window for statements after the event to show: what is tested is that none runs
      return { statements: stats.statements - before, event: results.at(-1)?.data?.messageAdded };
    };

    /** Once a marker sent after the warm-ups arrived, so did they (a conversation's order): their statements are done. */
    const warmedUp = async (operation: ReturnType<typeof subscribeTo>) => {
      await untilLive([operation], () => sendMessage(url, ada, conversation.id, 'warm-up'));
      const marker = await sendMessage(url, ada, conversation.id, `warm-up marker ${randomUUID()}`);
      await operation.until((all) => all.some((result) => result.data?.messageAdded.id === marker.id));
    };

    const keyOnly = subscribeTo('id');
    await warmedUp(keyOnly);
    expect(await statementsForOneEvent(keyOnly)).toEqual({
      statements: 0,
      event: expect.objectContaining({ conversation: { id: conversation.id } }),
    });
    keyOnly.unsubscribe();

    const withTitle = subscribeTo('id title');
    await warmedUp(withTitle);
    expect(await statementsForOneEvent(withTitle)).toEqual({
      statements: 1,
      event: expect.objectContaining({ conversation: { id: conversation.id, title: 'titled' } }),
    });
  });

  it('catches up with `after` in one conversation: exactly the later messages, then live, none twice', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const before: SentMessage[] = [];
    for (let i = 1; i <= 30; i += 1) before.push(await sendMessage(url, i % 2 === 0 ? bob : ada, conversation.id, `old ${i}`));
    const after = before[9] as SentMessage;

    // Catch-ups started at different moments while 30 more messages are being sent by two
    // senders at once: some commit before a history read, some during it, some after.
    const socket = connect();
    let sent = 0;
    const sending = Promise.all(
      [ada, bob].map(async (sender, s) => {
        for (let i = 0; i < 15; i += 1) {
          await sendMessage(url, sender, conversation.id, `new ${s}:${i}`);
          sent += 1;
        }
      }),
    );
    // One catch-up per two acknowledged sends, from the first on: spread over the sending.
    const catchUps: Subscription<MessageEvent>[] = [];
    for (let k = 0; k < 8; k += 1) {
      catchUps.push(subscribe<MessageEvent>(socket, MESSAGE_ADDED, { c: conversation.id, after: after.id }, as(bob)));
      await until(() => sent >= 2 * (k + 1), 10_000);
    }
    await sending;
    const stored = await storedMessages(conversation.id);
    const expected = stored.filter((row) => row.seq > 10);
    expect(expected.slice(0, 20).map((row) => row.body)).toEqual(Array.from({ length: 20 }, (_, i) => `old ${i + 11}`));
    expect(expected).toHaveLength(50);
    for (const catchUp of catchUps) {
      await catchUp.until(() => messagesOf(catchUp).length >= 50);
      // A duplicate arriving after these would come before `later` below, which checks it does not.
      expect(messagesOf(catchUp).map((event) => event.id)).toEqual(expected.map((row) => row.id));
      expect(messagesOf(catchUp).map((event) => event.body)).toEqual(expected.map((row) => row.body));
    }
    // And it stays live.
    const later = await sendMessage(url, ada, conversation.id, 'later');
    for (const catchUp of catchUps) {
      await catchUp.until(() => messagesOf(catchUp).length >= 51);
      expectMatchesSent(messagesOf(catchUp)[50] as MessageEvent['messageAdded'], later, ada.id, conversation.id);
    }
  });

  it('catches up across conversations: after’s conversation by seq, the others by time, then live', async () => {
    const [ada, bob, carl] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const withAda = await startConversation(url, bob, [ada]);
    const withCarl = await startConversation(url, bob, [carl]);
    const group = await startConversation(url, ada, [bob, carl], 'trio');
    const elsewhere = await startConversation(url, ada, [carl]);
    // Distinct milliseconds: created_at orders the other conversations. The next send starts
    // once the clock has passed this one's.
    const send = async (sender: TestUser, conversationId: string, body: string) => {
      const message = await sendMessage(url, sender, conversationId, body);
      await until(() => Date.now() > Date.parse(message.createdAt));
      return message;
    };
    await send(carl, withCarl.id, 'carl before');
    await send(ada, withAda.id, 'ada 1');
    const after = await send(bob, withAda.id, 'bob read up to here');
    const missed = [
      await send(carl, withCarl.id, 'carl 1'),
      await send(ada, withAda.id, 'ada 2'),
      await send(ada, group.id, 'group 1'),
      await send(carl, withCarl.id, 'carl 2'),
    ];
    await send(ada, elsewhere.id, 'not for bob');

    const subscription = subscribe<MessageEvent>(connect(), MESSAGE_ADDED, { after: after.id }, as(bob));
    await subscription.until(() => messagesOf(subscription).length >= 4);
    const live = [await send(carl, group.id, 'group 2'), await send(ada, withAda.id, 'ada 3')];
    await subscription.until(() => messagesOf(subscription).length >= 6);
    await sleep(100); // a window for an extra or repeated event to show: what is tested is that none comes
    expect(messagesOf(subscription).map((event) => event.body)).toEqual([...missed, ...live].map((message) => message.body));
    expect(messagesOf(subscription).map((event) => event.id)).toEqual([...missed, ...live].map((message) => message.id));
  });

  it(`replays at most ${MAX_REPLAY} messages, then ends with BAD_USER_INPUT so the client resumes from the last one`, async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    // Stored directly (the repository-level sender, no publishing): only the replay matters here.
    const sender = createMessageSender(platform.database.kysely as Kysely<MessagesDatabase>);
    const total = MAX_REPLAY + 5;
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        sender.send({ conversationId: conversation.id, senderId: ada.id, body: `bulk ${i + 1}`, clientMessageId: `bulk-${i}` }),
      ),
    );
    const stored = await storedMessages(conversation.id);
    expect(stored).toHaveLength(total);
    const socket = connect();
    const first = subscribe<MessageEvent>(socket, MESSAGE_ADDED, { c: conversation.id, after: stored[0]?.id }, as(bob));
    const ending = await first.ended;
    expect(ending).toMatchObject({ kind: 'error', errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }] });
    const replayed = messagesOf(first);
    expect(replayed.map((event) => event.id)).toEqual(stored.slice(1, MAX_REPLAY + 1).map((row) => row.id));

    const resumed = subscribe<MessageEvent>(socket, MESSAGE_ADDED, { c: conversation.id, after: replayed.at(-1)?.id }, as(bob));
    await resumed.until(() => messagesOf(resumed).length >= 4);
    const live = await sendMessage(url, ada, conversation.id, 'live again');
    await resumed.until(() => messagesOf(resumed).length >= 5);
    expect(messagesOf(resumed).map((event) => event.id)).toEqual([...stored.slice(MAX_REPLAY + 1).map((row) => row.id), live.id]);
  });

  it('refuses an `after` the viewer cannot see or that is not in the conversation, before any event', async () => {
    const [ada, bob, carl] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const mine = await startConversation(url, bob, [ada]);
    const alsoMine = await startConversation(url, bob, [carl]);
    const notMine = await startConversation(url, ada, [carl]);
    const inAlsoMine = await sendMessage(url, carl, alsoMine.id, 'hello bob');
    const inNotMine = await sendMessage(url, carl, notMine.id, 'secret');
    const socket = connect();
    for (const variables of [
      { c: mine.id, after: inAlsoMine.id },
      { c: mine.id, after: inNotMine.id },
      { after: inNotMine.id },
      { after: randomUUID() },
      { after: 'not-an-id' },
    ]) {
      const subscription = subscribe<MessageEvent>(socket, MESSAGE_ADDED, variables, as(bob));
      expect(await subscription.ended).toEqual({ kind: 'complete' });
      expect(subscription.events).toHaveLength(1);
      expect(subscription.events[0]?.errors).toEqual([
        expect.objectContaining({ path: ['messageAdded'], extensions: { code: 'BAD_USER_INPUT', field: 'after' } }),
      ]);
    }
  });
});

describe('the catch-up seam, with a scripted feed', () => {
  /**
   * A feed whose events the test plays: `onWatch` runs right after the stream registered its
   * listener, i.e. while the history read is about to run (messages committed before the read
   * but published after the registration arrive exactly then).
   */
  function scriptedFeed(onWatch: (listener: (message: MessageRow) => void) => void) {
    const state: { listener: ((message: MessageRow) => void) | undefined; log: string[] } = { listener: undefined, log: [] };
    const feed: MessageFeed = {
      mayLoseEvents: false,
      watchMessages(_filter, listener) {
        state.log.push('watch');
        state.listener = listener;
        onWatch(listener);
        return () => {
          state.log.push('unwatch');
          state.listener = undefined;
        };
      },
      watchTyping: () => () => undefined,
      close: () => undefined,
    };
    return { feed, state };
  }

  /** The database, noting when a statement starts (a plugin sees it before it runs). */
  function recordingDb(log: string[]) {
    return (platform.database.kysely as Kysely<MessagesDatabase>).withPlugin({
      transformQuery(args) {
        log.push('read');
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
  }

  async function take(stream: AsyncIterableIterator<MessageRow>, count: number): Promise<number[]> {
    const seqs: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const next = await stream.next();
      if (next.done === true) break;
      seqs.push(next.value.seq);
    }
    return seqs;
  }

  it('registers before reading history, emits what arrived meanwhile after it, and every message once', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const sender = createMessageSender(platform.database.kysely as Kysely<MessagesDatabase>);
    const rows: MessageRow[] = [];
    for (let i = 1; i <= 6; i += 1) {
      rows.push(
        await sender.send({ conversationId: conversation.id, senderId: ada.id, body: `m${i}`, clientMessageId: `seam-${i}` }),
      );
    }
    // 4-6 were committed before the history read but published after the registration.
    const { feed, state } = scriptedFeed((listener) => {
      for (const row of rows.slice(3)) listener(row);
    });
    const stream = await openMessageStream({
      db: recordingDb(state.log),
      feed,
      viewerId: bob.id,
      conversationId: conversation.id,
      after: rows[0] as MessageRow,
    });
    expect(state.log.slice(0, 2)).toEqual(['watch', 'read']);
    const seventh = await sender.send({
      conversationId: conversation.id,
      senderId: bob.id,
      body: 'm7',
      clientMessageId: 'seam-7',
    });
    // Live: a duplicate publish of 6, the new 7, a stale 3: only 7 is new.
    state.listener?.(rows[5] as MessageRow);
    state.listener?.(seventh);
    state.listener?.(rows[2] as MessageRow);
    expect(await take(stream, 6)).toEqual([2, 3, 4, 5, 6, 7]);
    // Unsubscribing removes the listener at once, even while a next() is pending.
    const pending = stream.next();
    await stream.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(state.log.at(-1)).toBe('unwatch');
    expect(state.listener).toBeUndefined();
  });

  it('keeps the seam per conversation when catching up across conversations', async () => {
    const [ada, bob, carl] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const withAda = await startConversation(url, bob, [ada]);
    const withCarl = await startConversation(url, bob, [carl]);
    const sender = createMessageSender(platform.database.kysely as Kysely<MessagesDatabase>);
    // Distinct milliseconds, as above: the next send starts once the clock has passed this one's.
    const send = async (conversationId: string, senderId: string, body: string) => {
      const row = await sender.send({ conversationId, senderId, body, clientMessageId: randomUUID() });
      await until(() => Date.now() > row.created_at.getTime());
      return row;
    };
    const after = await send(withAda.id, ada.id, 'a1');
    const a2 = await send(withAda.id, ada.id, 'a2');
    const c1 = await send(withCarl.id, carl.id, 'c1');
    const c2 = await send(withCarl.id, carl.id, 'c2');
    // c2 and a2 arrive during the read: both are in the history too.
    const { feed, state } = scriptedFeed((listener) => {
      listener(c2);
      listener(a2);
    });
    const stream = await openMessageStream({
      db: platform.database.kysely as Kysely<MessagesDatabase>,
      feed,
      viewerId: bob.id,
      conversationId: null,
      after,
    });
    const c3 = await send(withCarl.id, carl.id, 'c3');
    state.listener?.(c1);
    state.listener?.(c3);
    const bodies: string[] = [];
    for (let i = 0; i < 4; i += 1) bodies.push(((await stream.next()).value as MessageRow).body);
    expect(bodies).toEqual(['a2', 'c1', 'c2', 'c3']);
    await stream.return?.();
  });
});

describe('access to the subscriptions', () => {
  it('answers FORBIDDEN for a conversation of others and NOT_FOUND for an unknown one', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const socket = connect();
    for (const [query, id, code] of [
      [MESSAGE_ADDED, conversation.id, 'FORBIDDEN'],
      [TYPING, conversation.id, 'FORBIDDEN'],
      [MESSAGE_ADDED, randomUUID(), 'NOT_FOUND'],
      [TYPING, randomUUID(), 'NOT_FOUND'],
      [TYPING, 'nope', 'NOT_FOUND'],
    ] as const) {
      const subscription = subscribe(socket, query, { c: id }, as(eve));
      expect(await subscription.ended).toEqual({ kind: 'complete' });
      expect(subscription.events.map((result) => result.errors?.map((error) => error.extensions?.code))).toEqual([[code]]);
    }
  });

  it('answers UNAUTHENTICATED without a token, and for a bad or expired one keeps the socket open', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const socket = connect();
    for (const query of [MESSAGE_ADDED, TYPING]) {
      const anonymous = subscribe(socket, query, { c: conversation.id });
      expect(await anonymous.ended).toEqual({ kind: 'complete' });
      expect(anonymous.events.map((result) => result.errors?.map((error) => error.extensions?.code))).toEqual([
        ['UNAUTHENTICATED'],
      ]);
    }
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(bob.id)
      .setIssuer('chitlaq')
      .setAudience('chitlaq-graph')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    for (const [authorization, message] of [
      ['Bearer not-a-jwt', 'Invalid token.'],
      [`Bearer ${expired}`, 'Token expired: sign in again.'],
      ['Basic Ym9iOnB3', 'Authorization header must be "Bearer <token>".'],
    ]) {
      const refused = subscribe(socket, MESSAGE_ADDED, { c: conversation.id }, { authorization });
      expect(await refused.ended).toEqual({ kind: 'error', errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
      expect(refused.events).toEqual([]);
    }
    // The same socket still serves a valid operation.
    const fine = subscribe<MessageEvent>(socket, MESSAGE_ADDED, { c: conversation.id }, as(bob));
    await untilLive([fine], () => sendMessage(url, ada, conversation.id, 'warm-up'));
    const message = await sendMessage(url, ada, conversation.id, 'still open');
    await fine.until(() => messagesOf(fine).length >= 1);
    expectMatchesSent(messagesOf(fine)[0] as MessageEvent['messageAdded'], message, ada.id, conversation.id);
  });

  it('takes the viewer of each operation from extensions.authorization, else from connectionParams', async () => {
    const [ada, bob, carl, dave] = await Promise.all([
      registerUser(url),
      registerUser(url),
      registerUser(url),
      registerUser(url),
    ]);
    const bobs = await startConversation(url, ada, [bob]);
    const carls = await startConversation(url, dave, [carl]);
    // The socket itself is carl's; operations may name another viewer.
    const socket = connect(as(carl));
    const forBob = subscribe<MessageEvent>(socket, MESSAGE_ADDED, {}, as(bob));
    const forCarl = subscribe<MessageEvent>(socket, MESSAGE_ADDED);
    const anonymous = subscribe(socket, MESSAGE_ADDED, {}, { authorization: null });
    expect(await anonymous.ended).toEqual({ kind: 'complete' });
    expect(anonymous.events[0]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    await untilLive([forBob], () => sendMessage(url, ada, bobs.id, 'warm-up'));
    await untilLive([forCarl], () => sendMessage(url, dave, carls.id, 'warm-up'));
    const toBob = await sendMessage(url, ada, bobs.id, 'for bob');
    const toCarl = await sendMessage(url, dave, carls.id, 'for carl');
    await forBob.until(() => messagesOf(forBob).length >= 1);
    await forCarl.until(() => messagesOf(forCarl).length >= 1);
    await sleep(100); // a window for a message of the other viewer to show: what is tested is that none comes
    expect(messagesOf(forBob).map((event) => event.id)).toEqual([toBob.id]);
    expect(messagesOf(forCarl).map((event) => event.id)).toEqual([toCarl.id]);
    expect(forBob.events.every((result) => result.data?.messageAdded.conversation.id === bobs.id)).toBe(true);
    expect(forCarl.events.every((result) => result.data?.messageAdded.conversation.id === carls.id)).toBe(true);
  });
});

describe('typing', () => {
  it('delivers other members’ typing, not the viewer’s own, and expires a typing: true by itself', async () => {
    const [ada, bob, carl, dave] = await Promise.all([
      registerUser(url),
      registerUser(url),
      registerUser(url),
      registerUser(url),
    ]);
    // Dave only warms the subscription up: his signals are left out of what is checked.
    const group = await startConversation(url, ada, [bob, carl, dave], 'typists');
    const setTyping = async (user: TestUser, typing: boolean) => {
      const response = await graphql(url, SET_TYPING, { c: group.id, t: typing }, { token: user.token });
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ setTyping: true });
    };
    const subscription = subscribe<TypingEvent>(connect(), TYPING, { c: group.id }, as(bob));
    // Warm-up: dave stops typing (no expiry follows a false); late ones may still arrive.
    await untilLive([subscription], () => setTyping(dave, false));
    const events = () =>
      subscription.events
        .map((result) => {
          expect(result.errors).toBeUndefined();
          return result.data?.typing;
        })
        .filter((typing) => typing?.user.id !== dave.id);
    const event = (user: TestUser, typing: boolean) => ({ conversationId: group.id, user: { id: user.id }, typing });

    // Bob's own signal is not delivered to bob; ada's is, and expires on its own.
    await setTyping(bob, true);
    const started = Date.now();
    await setTyping(ada, true);
    await subscription.until(() => events().length >= 2, 5000);
    const expiredAfter = Date.now() - started;
    expect(events()).toEqual([event(ada, true), event(ada, false)]);
    expect(expiredAfter).toBeGreaterThanOrEqual(TYPING_TTL_MS - 50);

    // An explicit false clears the timer: no second false follows.
    await setTyping(carl, true);
    await setTyping(carl, false);
    await subscription.until(() => events().length >= 4);
    await sleep(TYPING_TTL_MS + 200); // past the TTL: what is tested is that no expiry follows a false
    expect(events().slice(2)).toEqual([event(carl, true), event(carl, false)]);

    // A refresh restarts the countdown: the false comes a TTL after the last true.
    const refreshStarted = Date.now();
    await setTyping(ada, true);
    await sleep(TYPING_TTL_MS / 2); // the refresh must come within the TTL: the timing is the scenario
    await setTyping(ada, true);
    await subscription.until(() => events().length >= 7, 5000);
    expect(Date.now() - refreshStarted).toBeGreaterThanOrEqual(TYPING_TTL_MS * 1.5 - 50);
    await sleep(TYPING_TTL_MS + 200); // past the TTL: what is tested is that one expiry comes, not two
    expect(events().slice(4)).toEqual([event(ada, true), event(ada, true), event(ada, false)]);
  });

  it('setTyping answers UNAUTHENTICATED, NOT_FOUND and FORBIDDEN like the other mutations', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    expect(errorCodes(await graphql(url, SET_TYPING, { c: conversation.id, t: true }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, SET_TYPING, { c: randomUUID(), t: true }, { token: ada.token }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await graphql(url, SET_TYPING, { c: 'nope', t: true }, { token: ada.token }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await graphql(url, SET_TYPING, { c: conversation.id, t: true }, { token: eve.token }))).toEqual([
      'FORBIDDEN',
    ]);
    expect((await graphql(url, SET_TYPING, { c: conversation.id, t: false }, { token: bob.token })).data).toEqual({
      setTyping: true,
    });
  });
});
