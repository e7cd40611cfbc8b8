import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { type SentMessage, sendMessage, startConversation } from './support/messages.js';
import { type OwnRedis, startOwnRedis } from './support/own-redis.js';
import { startTestPlatform, type TestPlatform, usingRealPostgres } from './support/platform.js';
import { connectSocket, type Subscription, subscribe, type TestSocket, untilLive } from './support/websocket.js';

/**
 * Redis stopped and started again under the platform (issue 14, item 6), on a redis-server of
 * the test's own: presence answers instead of failing, sends still succeed (PostgreSQL is the
 * truth), and live `messageAdded` subscribers end with every acknowledged message exactly
 * once, in order, without reconnecting. Real services only: the embedded mode has no Redis.
 */
describe.skipIf(!usingRealPostgres)('a Redis outage', () => {
  let redis: OwnRedis;
  let platform: TestPlatform;
  let url: string;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    platform = await startTestPlatform({ REDIS_URL: redis.url });
    url = platform.gatewayUrl;
  });
  afterAll(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
    await platform?.stop();
    await redis?.stop();
  });

  it('answers user { online } and onlineUsers with data and no error while Redis is down', async () => {
    const [viewer, other] = await Promise.all([registerUser(url), registerUser(url)]);
    await graphql(url, 'mutation ($id: ID!) { follow(userId: $id) { id } }', { id: other.id }, { token: viewer.token });
    await redis.stop();
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const status = await graphql(url, 'query ($id: ID) { user(id: $id) { id online } }', { id: other.id });
        expect({ data: status.data, errors: status.errors }).toEqual({ data: { user: { id: other.id, online: false } } });
        const list = await graphql(url, '{ onlineUsers { id } }', {}, { token: viewer.token });
        expect({ data: list.data, errors: list.errors }).toEqual({ data: { onlineUsers: [] } });
      }
    } finally {
      await redis.start();
    }
  });

  it('gives live messageAdded subscribers every acknowledged message exactly once, in order, across the outage', async () => {
    const [ada, bob, carol, dan] = await Promise.all([
      registerUser(url),
      registerUser(url),
      registerUser(url),
      registerUser(url),
    ]);
    const group = await startConversation(url, ada, [bob, carol, dan], 'outage');
    const first = await sendMessage(url, ada, group.id, 'warm-up before dan');
    const query = 'subscription ($c: ID, $after: ID) { messageAdded(conversationId: $c, after: $after) { id body } }';
    const open = (user: TestUser, variables: Record<string, unknown>) => {
      const socket = connectSocket(url, user.token);
      sockets.push(socket);
      return { socket, subscription: subscribe<{ messageAdded: { id: string; body: string } }>(socket, query, variables) };
    };
    const subscribers = {
      // One conversation; all the viewer's conversations; one conversation resumed with `after`.
      bob: open(bob, { c: group.id }),
      carol: open(carol, {}),
      dan: open(dan, { c: group.id, after: first.id }),
    };
    for (const { socket, subscription } of Object.values(subscribers)) {
      await socket.connected;
      await untilLive(subscription, () => sendMessage(url, ada, group.id, 'warm-up'));
    }
    const received = (subscription: Subscription<{ messageAdded: { id: string; body: string } }>) =>
      subscription.events
        .map((event) => event.data?.messageAdded)
        .filter((message) => message?.body.startsWith('warm-up') === false);
    const acknowledged: SentMessage[] = [];
    const send = async (count: number, phase: string) => {
      for (let index = 0; index < count; index++) acknowledged.push(await sendMessage(url, ada, group.id, `${phase} ${index}`));
    };
    const allReceived = () =>
      Promise.all(
        Object.values(subscribers).map(async ({ subscription }) => {
          const deadline = Date.now() + 20_000;
          while (received(subscription).length < acknowledged.length && Date.now() < deadline) {
            await subscription.waitFor(subscription.events.length + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
          }
        }),
      );

    await send(5, 'before');
    await allReceived();
    await redis.stop();
    await send(6, 'during');
    await redis.start();
    await send(7, 'after');
    await allReceived();
    // A moment of quiet: nothing arrives twice later on.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const expected = acknowledged.map(({ id, body }) => ({ id, body }));
    expect(expected).toHaveLength(18);
    for (const [name, { socket, subscription }] of Object.entries(subscribers)) {
      expect({ name, messages: received(subscription) }).toEqual({ name, messages: expected });
      expect(subscription.events.filter((event) => event.errors !== undefined)).toEqual([]);
      expect(await Promise.race([socket.closed, Promise.resolve('open')])).toBe('open');
    }
  }, 60_000);
});
