import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageRow, MessagesDatabase } from '../subgraphs/messages/db/tables.js';
import type { MessageFeed } from '../subgraphs/messages/realtime/message-feed.js';
import { openMessageStream } from '../subgraphs/messages/realtime/message-stream.js';
import { createMessageSender } from '../subgraphs/messages/services/send-messages.js';
import { graphql, registerUser } from './support/graphql.js';
import { startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';

/**
 * A `messageAdded` stream after a gap in the live feed (message-stream.ts), with a feed the
 * test plays: which events arrive, and when the pub/sub says some may have been missed. The
 * messages are real rows, so the catch-up reads PostgreSQL (or PGlite) as in production.
 */

const platform = usePlatform();
let url: string;
let db: Kysely<MessagesDatabase>;

beforeAll(async () => {
  url = platform.gatewayUrl;
  db = platform.database.kysely as Kysely<MessagesDatabase>;
});

/** A feed that can lose events (as with Redis): the test calls `live` and `gap` itself. */
function lossyFeed() {
  const state: { live: (message: MessageRow) => void; gap: () => void } = { live: () => undefined, gap: () => undefined };
  const feed: MessageFeed = {
    mayLoseEvents: true,
    watchMessages(_filter, listener, onGap) {
      state.live = listener;
      state.gap = () => onGap?.();
      return () => {
        state.live = () => undefined;
        state.gap = () => undefined;
      };
    },
    watchTyping: () => () => undefined,
    close: () => undefined,
  };
  return { feed, state };
}

async function take(stream: AsyncIterableIterator<MessageRow>, count: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const next = await stream.next();
    if (next.done === true) break;
    bodies.push(next.value.body);
  }
  return bodies;
}

describe('a messageAdded stream after a gap in the live feed', () => {
  it('replays from the database what the feed missed, holding live events meanwhile: each once, in order', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const sender = createMessageSender(db);
    const send = (body: string) =>
      sender.send({ conversationId: conversation.id, senderId: ada.id, body, clientMessageId: randomUUID() });
    await send('before the subscription');
    const { feed, state } = lossyFeed();
    const stream = await openMessageStream({ db, feed, viewerId: bob.id, conversationId: conversation.id, after: null });

    const m1 = await send('m1');
    state.live(m1);
    await send('m2 (lost)');
    const m3 = await send('m3 (lost)');
    const m4 = await send('m4');
    state.gap();
    // Live during the catch-up read: m4 (also in the read) and a late duplicate of m3.
    state.live(m4);
    state.live(m3);
    const m5 = await send('m5');
    state.live(m5);
    expect(await take(stream, 5)).toEqual(['m1', 'm2 (lost)', 'm3 (lost)', 'm4', 'm5']);

    // A second gap with nothing missed replays nothing.
    state.gap();
    const m6 = await send('m6');
    state.live(m6);
    expect(await take(stream, 1)).toEqual(['m6']);
    await stream.return?.();
  });

  it('across conversations: catches up a conversation created after it began, and nothing of one the viewer left', async () => {
    const [ada, bob, carl] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const group = await startConversation(url, ada, [bob, carl], 'left');
    const sender = createMessageSender(db);
    const send = (conversationId: string, body: string) =>
      sender.send({ conversationId, senderId: ada.id, body, clientMessageId: randomUUID() });
    await send(group.id, 'before');
    const { feed, state } = lossyFeed();
    const stream = await openMessageStream({ db, feed, viewerId: bob.id, conversationId: null, after: null });

    state.live(await send(group.id, 'g1'));
    await send(group.id, 'g2 (lost)');
    const left = await graphql(
      url,
      'mutation ($c: ID!) { leaveConversation(conversationId: $c) }',
      { c: group.id },
      { token: bob.token },
    );
    expect(left.data).toEqual({ leaveConversation: true });
    await send(group.id, 'g3 (after bob left)');
    const direct = await startConversation(url, ada, [bob]);
    await send(direct.id, 'd1 (lost)');
    state.gap();
    const d2 = await send(direct.id, 'd2');
    state.live(d2);
    expect(await take(stream, 3)).toEqual(['g1', 'd1 (lost)', 'd2']);
    await stream.return?.();
  });

  it('runs a gap signalled during the `after` replay once the replay is done', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const sender = createMessageSender(db);
    const send = (body: string) =>
      sender.send({ conversationId: conversation.id, senderId: ada.id, body, clientMessageId: randomUUID() });
    const after = await send('after');
    await send('r1');
    const { feed, state } = lossyFeed();
    const watch = feed.watchMessages.bind(feed);
    // The gap arrives right after registration, while the replay is about to read.
    feed.watchMessages = (filter, listener, onGap) => {
      const unwatch = watch(filter, listener, onGap);
      state.gap();
      return unwatch;
    };
    const stream = await openMessageStream({ db, feed, viewerId: bob.id, conversationId: conversation.id, after });
    await send('r2 (lost)');
    state.gap();
    const r3 = await send('r3');
    state.live(r3);
    expect(await take(stream, 3)).toEqual(['r1', 'r2 (lost)', 'r3']);
    await stream.return?.();
  });

  it('ends with INTERNAL_SERVER_ERROR, telling the client to resume with `after`, when the catch-up cannot read', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    let failReads = false;
    const failing = db.withPlugin({
      transformQuery(args) {
        if (failReads) throw new Error('connection terminated');
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const { feed, state } = lossyFeed();
    const stream = await openMessageStream({ db: failing, feed, viewerId: bob.id, conversationId: conversation.id, after: null });
    failReads = true;
    state.gap();
    await expect(stream.next()).rejects.toMatchObject({
      message: 'Subscription ended: missed messages could not be read. Subscribe again with `after`.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});
