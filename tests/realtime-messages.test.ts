import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMessagesAdded, MESSAGES_ADDED_CHANNEL } from '../subgraphs/messages/realtime/message-events.js';
import { nextEvents } from './support/event-stream.js';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { sample, scrape } from './support/metrics.js';
import { startTestPlatform, usePlatform, usingRealPostgres } from './support/platform.js';
import { connectSocket, type Subscription, subscribe, untilLive } from './support/websocket.js';

/**
 * How many events `subscription` has once every warm-up of untilLive arrived: it counts through
 * the `marker` message sent after them, which arrives after all of them (a conversation's order).
 * Waiting for a quiet moment instead miscounts when a slow warm-up arrives after it.
 */
async function countThrough(subscription: Subscription<unknown>, marker: string): Promise<number> {
  const bodyOf = (event: (typeof subscription.events)[number]) =>
    (event.data as { messageAdded?: { body?: string } } | null | undefined)?.messageAdded?.body;
  for (;;) {
    const index = subscription.events.findIndex((event) => bodyOf(event) === marker);
    if (index >= 0) return index + 1;
    await subscription.waitFor(subscription.events.length + 1);
  }
}

/** Sends the marker message of countThrough into `conversationId`; its body. */
async function sendMarker(url: string, sender: TestUser, conversationId: string): Promise<string> {
  return (await sendMessage(url, sender, conversationId, `warmed up ${randomUUID()}`)).body;
}

const platform = usePlatform({ TYPING_TTL_MS: '300' });
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const MESSAGE_ADDED = /* GraphQL */ `
  subscription ($c: ID, $after: ID) {
    messageAdded(conversationId: $c, after: $after) {
      id body
      sender { id username university online }
      conversation { id title members { username } }
    }
  }
`;

interface Event {
  messageAdded: {
    id: string;
    body: string;
    sender: { id: string; username: string; university: string | null; online: boolean };
    conversation: { id: string; title: string | null; members: { username: string }[] };
  };
}

describe('messageAdded through the gateway', () => {
  it('delivers 100 messages of 5 concurrent senders live, in order, with fields of other subgraphs', async () => {
    const members: TestUser[] = await Promise.all(
      Array.from({ length: 5 }, (_, i) => registerUser(url, i === 0 ? { university: 'METU' } : {})),
    );
    const [owner, ...others] = members as [TestUser, ...TestUser[]];
    const group = await startConversation(url, owner, others, 'live');
    const socket = connectSocket(url, owner.token);
    const subscription = subscribe<Event>(socket, MESSAGE_ADDED, { c: group.id });
    await socket.connected;
    await untilLive(subscription, () => sendMessage(url, owner, group.id, 'warm-up'));
    const warmUps = await countThrough(subscription, await sendMarker(url, owner, group.id));

    await Promise.all(
      members.map(async (sender, s) => {
        for (let i = 0; i < 20; i += 1) await sendMessage(url, sender, group.id, `${s}:${i}`);
      }),
    );
    const events = (await subscription.waitFor(warmUps + 100)).slice(warmUps);
    expect(events.every((event) => event.errors === undefined)).toBe(true);
    const received = events.map((event) => event.data?.messageAdded);
    expect(received).toHaveLength(100);

    // The order is the conversation's: the same as a page of messages read afterwards.
    const page = await graphql(
      url,
      'query ($id: ID!) { conversation(id: $id) { messages(first: 100) { nodes { id } } } }',
      { id: group.id },
      { token: owner.token },
    );
    const stored = page.data.conversation.messages.nodes.map((node: { id: string }) => node.id).reverse();
    expect(received.map((message) => message?.id)).toEqual(stored);
    for (let s = 0; s < 5; s += 1) {
      const own = received.filter((m) => m?.body.startsWith(`${s}:`)).map((m) => Number(m?.body.split(':')[1]));
      expect(own).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    // Fields of the users subgraph, resolved per event: only the owner holds a socket.
    const fromOwner = received.find((m) => m?.body.startsWith('0:'));
    expect(fromOwner?.sender).toEqual({ id: owner.id, username: owner.username, university: 'METU', online: true });
    const fromOther = received.find((m) => m?.body.startsWith('1:'));
    expect(fromOther?.sender).toMatchObject({ id: others[0]?.id, username: others[0]?.username, online: false });
    expect(fromOther?.conversation.title).toBe('live');
    expect(fromOther?.conversation.members.map((m) => m.username).sort()).toEqual(members.map((m) => m.username).sort());
    subscription.unsubscribe();
    await socket.dispose();
  });

  it('without a conversation, delivers every conversation of the viewer and nothing else', async () => {
    const [ada, bob, cem, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url), registerUser(url)]);
    const withBob = await startConversation(url, ada, [bob]);
    const withCem = await startConversation(url, ada, [cem]);
    const notAdas = await startConversation(url, bob, [eve]);
    const socket = connectSocket(url, ada.token);
    const subscription = subscribe<Event>(socket, MESSAGE_ADDED);
    await socket.connected;
    await untilLive(subscription, () => sendMessage(url, bob, withBob.id, 'warm-up'));
    const warmUps = await countThrough(subscription, await sendMarker(url, bob, withBob.id));
    await sendMessage(url, eve, notAdas.id, 'not for ada');
    await sendMessage(url, cem, withCem.id, 'from cem');
    await sendMessage(url, bob, withBob.id, 'from bob');
    const events = (await subscription.waitFor(warmUps + 2)).slice(warmUps);
    await sleep(100); // a window for the message of another conversation to show: what is tested is that none comes
    expect(subscription.events.slice(warmUps).map((event) => event.data?.messageAdded.body)).toEqual(['from cem', 'from bob']);
    expect(events[0]?.data?.messageAdded.conversation.id).toBe(withCem.id);
    await socket.dispose();
  });

  it('catches up after a disconnect with `after`: no gap and no duplicate at the seam', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const chat = await startConversation(url, ada, [bob]);
    const first = connectSocket(url, ada.token);
    const live = subscribe<Event>(first, MESSAGE_ADDED, { c: chat.id });
    await first.connected;
    await untilLive(live, () => sendMessage(url, bob, chat.id, 'warm-up'));
    const warmUps = await countThrough(live, await sendMarker(url, bob, chat.id));
    await sendMessage(url, bob, chat.id, 'm1');
    const seen = await live.waitFor(warmUps + 1);
    const lastSeen = seen.at(-1)?.data?.messageAdded.id;
    expect(seen.at(-1)?.data?.messageAdded.body).toBe('m1');
    await first.dispose();

    // Missed while offline.
    for (const body of ['m2', 'm3', 'm4']) await sendMessage(url, bob, chat.id, body);
    const second = connectSocket(url, ada.token);
    const resumed = subscribe<Event>(second, MESSAGE_ADDED, { c: chat.id, after: lastSeen });
    // Sent while the catch-up runs: each must arrive exactly once, after m4.
    const sending = (async () => {
      for (const body of ['m5', 'm6', 'm7']) await sendMessage(url, bob, chat.id, body);
    })();
    await sending;
    const events = await resumed.waitFor(6);
    await sleep(200); // a window for a duplicate to show: what is tested is that none comes
    expect(resumed.events.map((event) => event.data?.messageAdded.body)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(events.every((event) => event.errors === undefined)).toBe(true);
    await second.dispose();
  });

  it('stops delivering to a member who left the group, who then loses access to it', async () => {
    const [ada, bob, cem] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const group = await startConversation(url, ada, [bob, cem], 'leaving');
    const socket = connectSocket(url, cem.token);
    const all = subscribe<Event>(socket, MESSAGE_ADDED);
    const one = subscribe<Event>(socket, MESSAGE_ADDED, { c: group.id });
    await untilLive(all, () => sendMessage(url, ada, group.id, 'warm-up'));
    await untilLive(one, () => sendMessage(url, ada, group.id, 'warm-up'));
    await sendMessage(url, ada, group.id, 'still here');
    // Both have it, and so every warm-up before it (a conversation's order).
    for (const subscription of [one, all]) {
      await subscription.until((events) => events.at(-1)?.data?.messageAdded.body === 'still here');
    }

    const LEAVE = 'mutation ($c: ID!) { leaveConversation(conversationId: $c) }';
    const left = await graphql(url, LEAVE, { c: group.id }, { token: cem.token });
    expect(left.data).toEqual({ leaveConversation: true });
    const [allBefore, oneBefore] = [all.events.length, one.events.length];
    await sendMessage(url, ada, group.id, 'after cem left');
    await sendMessage(url, bob, group.id, 'still after');
    await sleep(300); // a window for a message after leaving to show: what is tested is that none comes
    expect([all.events.length, one.events.length]).toEqual([allBefore, oneBefore]);

    const codes = async (query: string, variables: Record<string, unknown>) =>
      (await graphql(url, query, variables, { token: cem.token })).errors?.map((error) => error.extensions?.code);
    expect(await codes('query ($id: ID!) { conversation(id: $id) { id } }', { id: group.id })).toEqual(['FORBIDDEN']);
    expect(await codes(LEAVE, { c: group.id })).toEqual(['FORBIDDEN']);
    const direct = await startConversation(url, ada, [bob]);
    const leaveDirect = await graphql(url, LEAVE, { c: direct.id }, { token: ada.token });
    expect(leaveDirect.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    await socket.dispose();
  });

  it('answers FORBIDDEN to a non-member and UNAUTHENTICATED to an anonymous socket, with no events', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const chat = await startConversation(url, ada, [bob]);
    const eves = connectSocket(url, eve.token);
    const refused = subscribe<Event>(eves, MESSAGE_ADDED, { c: chat.id });
    const anonymous = connectSocket(url);
    const anonymousSubscription = subscribe<Event>(anonymous, MESSAGE_ADDED);
    await Promise.all([refused.ended, anonymousSubscription.ended]);
    await sendMessage(url, ada, chat.id, 'private');
    await sleep(200); // a window for the private message to show: what is tested is that none comes
    const codes = (events: { errors?: readonly { extensions?: Record<string, unknown> }[] }[]) =>
      events.flatMap((event) => (event.errors ?? []).map((error) => error.extensions?.code));
    expect(codes(refused.events)).toEqual(['FORBIDDEN']);
    expect(refused.events.some((event) => event.data?.messageAdded)).toBe(false);
    expect(codes(anonymousSubscription.events)).toEqual(['UNAUTHENTICATED']);
    await Promise.all([eves.dispose(), anonymous.dispose()]);
  });

  it('delivers over server-sent events too (GraphQL over HTTP), with fields of other subgraphs and refusals', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const chat = await startConversation(url, ada, [bob]);
    const stream = async (token: string) => {
      const controller = new AbortController();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: MESSAGE_ADDED, variables: { c: chat.id } }),
        signal: controller.signal,
      });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const events: Array<{ data?: Event; errors?: Array<{ extensions?: Record<string, unknown> }> }> = [];
      const arrivals = new Set<() => void>();
      const reading = (async () => {
        for await (const event of nextEvents<(typeof events)[number]>(response.body as ReadableStream<Uint8Array>)) {
          events.push(event);
          for (const check of [...arrivals]) check();
        }
      })();
      /** Resolves once `predicate` holds for the events, checked at each event (rejects after `timeoutMs`). */
      const until = (predicate: () => boolean, timeoutMs = 10_000) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (!predicate()) return;
            clearTimeout(timer);
            arrivals.delete(check);
            resolve();
          };
          const timer = setTimeout(() => {
            arrivals.delete(check);
            reject(new Error(`not within ${timeoutMs} ms: ${JSON.stringify(events)}`));
          }, timeoutMs);
          arrivals.add(check);
          check();
        });
      return { events, reading, until, stop: () => controller.abort() };
    };
    const bobs = await stream(bob.token);
    // Live once a warm-up arrived: sent again as soon as the last one was answered.
    const deadline = Date.now() + 5000;
    while (bobs.events.length === 0 && Date.now() < deadline) await sendMessage(url, ada, chat.id, 'warm-up');
    const overHttp = await sendMessage(url, ada, chat.id, 'over http');
    // Late warm-ups may arrive first.
    const isOverHttp = (e: { data?: Event }) => e.data?.messageAdded.id === overHttp.id;
    await bobs.until(() => bobs.events.some(isOverHttp));
    const event = bobs.events.find(isOverHttp)?.data?.messageAdded;
    expect(event?.body).toBe('over http');
    expect(event?.sender).toMatchObject({ id: ada.id, username: ada.username });
    expect(event?.conversation.members.map((member) => member.username).sort()).toEqual([ada.username, bob.username].sort());
    bobs.stop();

    const eves = await stream(eve.token);
    await eves.reading;
    expect(eves.events.flatMap((e) => (e.errors ?? []).map((error) => error.extensions?.code))).toEqual(['FORBIDDEN']);
  });
});

describe('shared execution of events', () => {
  const usersRequests = () => platform.gateway.subgraphRequests.get('users') ?? 0;

  it('runs a viewer-independent selection once per event for all subscribers, a viewer-dependent one per subscriber', async () => {
    const members: TestUser[] = await Promise.all(Array.from({ length: 4 }, () => registerUser(url)));
    const [owner, ...others] = members as [TestUser, ...TestUser[]];
    const group = await startConversation(url, owner, others, 'shared');
    // Only the owner's viewer follows the sender below: isFollowedByViewer differs per viewer.
    const sender = others[0] as TestUser;
    await graphql(url, 'mutation ($id: ID!) { follow(userId: $id) { id } }', { id: sender.id }, { token: owner.token });

    const shared = 'subscription ($c: ID) { messageAdded(conversationId: $c) { body sender { username } } }';
    const personal = 'subscription ($c: ID) { messageAdded(conversationId: $c) { body sender { username isFollowedByViewer } } }';
    const sockets = members.map((member) => connectSocket(url, member.token));
    const sharedSubscriptions = sockets.map((socket) => subscribe(socket, shared, { c: group.id }));
    const personalSubscriptions = sockets.map((socket) => subscribe(socket, personal, { c: group.id }));
    const all = [...sharedSubscriptions, ...personalSubscriptions];
    for (const subscription of all) await untilLive(subscription, () => sendMessage(url, owner, group.id, 'warm-up'));
    const marker = await sendMarker(url, owner, group.id);
    const counts = await Promise.all(all.map((subscription) => countThrough(subscription, marker)));

    const before = usersRequests();
    await sendMessage(url, sender, group.id, 'counted');
    for (const [index, subscription] of all.entries()) await subscription.waitFor((counts[index] ?? 0) + 1);
    await sleep(100); // a window for an extra users fetch to show: what is counted is that none comes
    // 1 users fetch shared by the 4 viewer-independent subscribers + 1 per personal subscriber.
    expect(usersRequests() - before).toBe(1 + members.length);

    const lastOf = (subscription: Subscription<unknown>) => {
      const data = subscription.events.at(-1)?.data as
        | { messageAdded: { body: string; sender: Record<string, unknown> } }
        | undefined;
      if (data === undefined) throw new Error('no event');
      return data.messageAdded;
    };
    for (const subscription of sharedSubscriptions)
      expect(lastOf(subscription)).toEqual({ body: 'counted', sender: { username: sender.username } });
    expect(personalSubscriptions.map((subscription) => lastOf(subscription).sender.isFollowedByViewer)).toEqual([
      true,
      false,
      false,
      false,
    ]);
    await Promise.all(sockets.map((socket) => socket.dispose()));
  });

  it('fetches the entities of shared events arriving together in one request, each subscriber getting its own', async () => {
    const [ada, bob, cem, dia] = (await Promise.all(Array.from({ length: 4 }, () => registerUser(url)))) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ];
    const first = await startConversation(url, ada, [bob], 'first');
    const second = await startConversation(url, cem, [dia], 'second');
    const shared = 'subscription ($c: ID) { messageAdded(conversationId: $c) { body sender { username } } }';
    const socket = connectSocket(url, ada.token);
    const otherSocket = connectSocket(url, cem.token);
    const inFirst = subscribe(socket, shared, { c: first.id });
    const inSecond = subscribe(otherSocket, shared, { c: second.id });
    await untilLive(inFirst, () => sendMessage(url, ada, first.id, 'warm-up'));
    await untilLive(inSecond, () => sendMessage(url, cem, second.id, 'warm-up'));
    const counts = [
      await countThrough(inFirst, await sendMarker(url, ada, first.id)),
      await countThrough(inSecond, await sendMarker(url, cem, second.id)),
    ];

    // One committed batch with a message in each conversation, as the messages subgraph
    // publishes it: both events reach the gateway in the same turn.
    const row = (conversationId: string, senderId: string, body: string) => ({
      id: randomUUID(),
      conversation_id: conversationId,
      seq: 1_000_000,
      sender_id: senderId,
      body,
      client_message_id: randomUUID(),
      created_at: new Date(),
    });
    const before = usersRequests();
    await platform.pubsub.publish(
      MESSAGES_ADDED_CHANNEL,
      encodeMessagesAdded(
        [row(first.id, bob.id, 'from bob'), row(second.id, dia.id, 'from dia')],
        new Map([
          [first.id, [ada.id, bob.id]],
          [second.id, [cem.id, dia.id]],
        ]),
      ),
    );
    await inFirst.waitFor((counts[0] ?? 0) + 1);
    await inSecond.waitFor((counts[1] ?? 0) + 1);
    await sleep(100); // a window for a second users fetch to show: what is counted is that none comes
    expect(usersRequests() - before).toBe(1);
    expect(inFirst.events.at(-1)?.data).toEqual({ messageAdded: { body: 'from bob', sender: { username: bob.username } } });
    expect(inSecond.events.at(-1)?.data).toEqual({ messageAdded: { body: 'from dia', sender: { username: dia.username } } });
    await Promise.all([socket.dispose(), otherSocket.dispose()]);
  });
});

describe('typing through the gateway', () => {
  const TYPING = 'subscription ($c: ID!) { typing(conversationId: $c) { conversationId typing user { id username } } }';
  const SET_TYPING = 'mutation ($c: ID!, $t: Boolean!) { setTyping(conversationId: $c, typing: $t) }';

  it('delivers other members’ typing, and a typing=true expires by itself', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const chat = await startConversation(url, ada, [bob]);
    const socket = connectSocket(url, ada.token);
    const typing = subscribe(socket, TYPING, { c: chat.id });
    await socket.connected;
    // Ada's own typing is not echoed to her; Bob's is.
    await untilLive(typing, () => graphql(url, SET_TYPING, { c: chat.id, t: true }, { token: bob.token }), 3000);
    await graphql(url, SET_TYPING, { c: chat.id, t: true }, { token: ada.token });
    // Bob stops sending: his typing=true expires after TYPING_TTL_MS (300 ms here).
    await typing.until((events) => events.at(-1)?.data?.typing.typing === false, 3000);
    const events = typing.events;
    expect(events[0]?.data?.typing).toEqual({
      conversationId: chat.id,
      typing: true,
      user: { id: bob.id, username: bob.username },
    });
    const last = events.at(-1)?.data?.typing;
    expect(last).toEqual({ conversationId: chat.id, typing: false, user: { id: bob.id, username: bob.username } });
    expect(events.every((event) => event.data?.typing.user.id === bob.id)).toBe(true);
    await socket.dispose();
  });

  it('refuses setTyping from a non-member', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const chat = await startConversation(url, ada, [bob]);
    const response = await graphql(url, SET_TYPING, { c: chat.id, t: true }, { token: eve.token });
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('restarts', () => {
  it('closes a client with 1012 when the subgraph under its subscription stays away past the resume window', async () => {
    // The gateway resubscribes from the last event for SUBSCRIPTION_RESUME_WINDOW_MS (tests/subscription-resume.test.ts), then gives up.
    const own = await startTestPlatform({ SUBSCRIPTION_RESUME_WINDOW_MS: '300' });
    try {
      const [ada, bob] = await Promise.all([registerUser(own.gatewayUrl), registerUser(own.gatewayUrl)]);
      const chat = await startConversation(own.gatewayUrl, ada, [bob]);
      const socket = connectSocket(own.gatewayUrl, ada.token);
      const live = subscribe<Event>(socket, MESSAGE_ADDED, { c: chat.id });
      await untilLive(live, () => sendMessage(own.gatewayUrl, bob, chat.id, 'warm-up'));

      // The messages subgraph's WebSocket endpoint goes away (a crash, a deploy).
      await own.subgraphs.messages.webSockets.close();
      // graphql-ws clients reconnect on 1012 and resubscribe with `after` (tested above).
      expect((await socket.closed).code).toBe(1012);
      const metrics = await scrape(own, 'gateway');
      expect(sample(metrics, 'gateway_subscription_resumes_total', { subgraph: 'messages', outcome: 'gave_up' })).toBe(1);
      expect(
        sample(metrics, 'gateway_subscription_resumes_total', { subgraph: 'messages', outcome: 'resubscribed' }),
      ).toBeGreaterThan(0);
    } finally {
      await own.stop();
    }
  });

  it('closes sockets with 1012 on shutdown, so clients reconnect and resume', async () => {
    const own = await startTestPlatform();
    try {
      const user = await registerUser(own.gatewayUrl);
      const socket = connectSocket(own.gatewayUrl, user.token);
      await socket.connected;
      const stopping = own.stop();
      expect((await socket.closed).code).toBe(1012);
      await stopping;
    } finally {
      await own.stop().catch(() => undefined);
    }
  });
});

describe.skipIf(!usingRealPostgres || !process.env.REDIS_URL)('several instances on one Redis', () => {
  it('delivers a message sent through one gateway to a subscriber on another', async () => {
    const second = await startTestPlatform({}, { shareDatabaseWith: platform });
    try {
      const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
      const chat = await startConversation(url, ada, [bob]);
      const socket = connectSocket(second.gatewayUrl, ada.token);
      const subscription = subscribe<Event>(socket, MESSAGE_ADDED, { c: chat.id });
      await socket.connected;
      await untilLive(subscription, () => sendMessage(url, bob, chat.id, 'across instances'));
      expect(subscription.events[0]?.data?.messageAdded).toMatchObject({
        body: 'across instances',
        sender: { id: bob.id, username: bob.username },
      });
      // Presence is shared too: Ada's socket is on the second gateway, the first one sees it.
      const online = await graphql(url, 'query ($id: ID) { user(id: $id) { online } }', { id: ada.id });
      expect(online.data.user.online).toBe(true);
      await socket.dispose();
    } finally {
      await second.stop();
    }
  });
});
