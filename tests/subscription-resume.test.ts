import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { sample, scrape } from './support/metrics.js';
import { type TestPlatform, usePlatform } from './support/platform.js';
import { signedFor } from './support/signed-subgraph.js';
import { eventually } from './support/until.js';
import { connectSocket, type Subscription, subscribe, type TestSocket, untilLive } from './support/websocket.js';

/**
 * The gateway's socket to the messages subgraph drops (a restart, a deploy): here a proxy of the
 * test's own between them closes every connection and refuses new ones for a while. Messages
 * sent meanwhile go straight to the subgraph (signed like the gateway's requests), as they
 * would to its other instance. Every subscriber must get every message, once, in order, on the
 * socket it had: the gateway resubscribed from each subscription's last event.
 */
const platform = usePlatform({}, { throughProxy: ['messages'] });

interface Event {
  messageAdded: { id: string; body: string; sender?: { username: string } };
}

const SEND =
  'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id } }';

/** Sends a message to the messages subgraph itself, past the proxy: it is stored and published whatever the gateway's socket does. */
async function sendDirect(target: TestPlatform, sender: TestUser, conversationId: string, body: string): Promise<string> {
  const variables = { c: conversationId, b: body, k: crypto.randomUUID() };
  const response = await graphql<{ sendMessage: { id: string } }>(target.subgraphs.messages.url, SEND, variables, {
    token: sender.token,
    headers: signedFor(target, SEND, variables),
  });
  if (!response.data) throw new Error(`sendMessage failed: ${JSON.stringify(response.errors)}`);
  return response.data.sendMessage.id;
}

/** The conversation's message ids in the order it delivers them (seq). */
async function storedIds(target: TestPlatform, conversationId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from messages.messages where conversation_id = ${conversationId}::uuid order by seq`.execute(
    target.database.kysely,
  );
  return rows.map((row) => row.id);
}

const idsOf = (subscription: Subscription<Event>) => subscription.events.map((event) => event.data?.messageAdded.id);

/** What a subscriber that went live at its first event must have seen: every stored message from that one on. */
function expectedFrom(stored: string[], subscription: Subscription<Event>): string[] {
  const first = idsOf(subscription)[0];
  return stored.slice(stored.indexOf(first as string));
}

describe('a lost subgraph connection under live subscriptions', () => {
  it('resubscribes each subscription from its last event: every message once, in order, on the same socket', async () => {
    const proxy = platform.proxies.messages;
    if (proxy === undefined) throw new Error('no proxy');
    const [ada, bob, cy] = await Promise.all([1, 2, 3].map(() => registerUser(platform.gatewayUrl)));
    const chat = await startConversation(platform.gatewayUrl, ada as TestUser, [bob as TestUser, cy as TestUser]);
    const first = await sendMessage(platform.gatewayUrl, ada as TestUser, chat.id, 'before anyone listens');

    const sockets: TestSocket[] = [ada, bob, cy].map((user) => connectSocket(platform.gatewayUrl, user?.token));
    const closedEarly: number[] = [];
    for (const socket of sockets) void socket.closed.then((closed) => closedEarly.push(closed.code));
    const [adaSocket, bobSocket, cySocket] = sockets as [TestSocket, TestSocket, TestSocket];
    // One conversation, with a field of another subgraph; every conversation of the viewer; and from a given message.
    const inConversation = subscribe<Event>(
      bobSocket,
      'subscription ($c: ID!) { messageAdded(conversationId: $c) { id body sender { username } } }',
      { c: chat.id },
    );
    const everywhere = subscribe<Event>(adaSocket, 'subscription { messageAdded { id body } }');
    const fromFirst = subscribe<Event>(
      cySocket,
      'subscription ($c: ID!, $a: ID) { messageAdded(conversationId: $c, after: $a) { id body } }',
      { c: chat.id, a: first.id },
    );
    await untilLive([inConversation, everywhere], () => sendMessage(platform.gatewayUrl, ada as TestUser, chat.id, 'warm-up'));

    const resumedBefore = sample(await scrape(platform, 'gateway'), 'gateway_subscription_resumes_total', {
      subgraph: 'messages',
      outcome: 'resubscribed',
    });
    const senders = [ada, bob, cy] as TestUser[];
    for (let i = 0; i < 60; i += 1) {
      if (i === 20) await proxy.stop();
      if (i === 40) await proxy.restart();
      await sendDirect(platform, senders[i % 3] as TestUser, chat.id, `m${i}`);
    }

    const stored = await storedIds(platform, chat.id);
    const last = stored.at(-1);
    for (const subscription of [inConversation, everywhere, fromFirst]) {
      await subscription.until((events) => events.some((event) => event.data?.messageAdded.id === last), 20_000);
    }
    expect(idsOf(fromFirst)).toEqual(stored.slice(1));
    expect(idsOf(inConversation)).toEqual(expectedFrom(stored, inConversation));
    expect(idsOf(everywhere)).toEqual(expectedFrom(stored, everywhere));
    expect(inConversation.events.every((event) => event.errors === undefined)).toBe(true);
    expect(inConversation.events.at(-1)?.data?.messageAdded.sender?.username).toBe(senders[59 % 3]?.username);
    // The client never saw the break: no close, no reconnect.
    expect(closedEarly).toEqual([]);
    const resumed =
      sample(await scrape(platform, 'gateway'), 'gateway_subscription_resumes_total', {
        subgraph: 'messages',
        outcome: 'resubscribed',
      }) - resumedBefore;
    expect(resumed).toBeGreaterThanOrEqual(3);
    await Promise.all(sockets.map((socket) => socket.dispose()));
  }, 90_000);

  it('ends a subscription with nothing to resume from as before: its client is told to reconnect (1012)', async () => {
    const proxy = platform.proxies.messages;
    if (proxy === undefined) throw new Error('no proxy');
    const [ada, bob] = await Promise.all([registerUser(platform.gatewayUrl), registerUser(platform.gatewayUrl)]);
    const chat = await startConversation(platform.gatewayUrl, ada, [bob]);
    const socket = connectSocket(platform.gatewayUrl, ada.token);
    const live = subscribe<Event>(socket, 'subscription ($c: ID!) { messageAdded(conversationId: $c) { id } }', { c: chat.id });
    // Live upstream (the subgraph counts it), but no event yet and no `after`: nothing to resume from.
    await eventually(async () => sample(await scrape(platform, 'messages'), 'subscriptions_active') === 1);
    await proxy.stop();
    try {
      expect((await socket.closed).code).toBe(1012);
      expect(live.events).toEqual([]);
    } finally {
      await proxy.restart();
    }
  });
});
