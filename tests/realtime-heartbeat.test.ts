import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { startConversation } from './support/messages.js';
import { type TestPlatform, usePlatform } from './support/platform.js';
import { eventually, until } from './support/until.js';
import { connectSocket, errorsOf, subscribe } from './support/websocket.js';

const PING_INTERVAL_MS = 200;

/** A graphql-ws client whose socket answers pings only while `answering` is true (a phone losing its network). */
function connectFlakyClient(url: string, token: string) {
  const state = { answering: true, pings: 0, socket: undefined as WebSocket | undefined };
  class ManualPongSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { autoPong: false });
      state.socket = this;
      this.on('ping', () => {
        state.pings += 1;
        if (state.answering) this.pong();
      });
    }
  }
  const { client, closed } = connectSocket(url, token, ManualPongSocket);
  return { client, closed, state };
}

const online = async (platform: TestPlatform, user: TestUser) =>
  (await graphql(platform.gatewayUrl, 'query ($id: ID) { user(id: $id) { online } }', { id: user.id })).data?.user?.online;

describe('heartbeat', () => {
  const platform = usePlatform({ WEBSOCKET_PING_INTERVAL_MS: String(PING_INTERVAL_MS) });

  it('keeps a client that answers pings, however long it is quiet', async () => {
    const user = await registerUser(platform.gatewayUrl);
    const flaky = connectFlakyClient(platform.gatewayUrl, user.token);
    try {
      await until(() => flaky.state.pings >= 6, 5000);
      expect(flaky.state.socket?.readyState).toBe(WebSocket.OPEN);
      expect(await online(platform, user)).toBe(true);
    } finally {
      await flaky.client.dispose();
    }
  });

  it('closes a client that stops answering pings: its subscriptions end and it goes offline', async () => {
    const user = await registerUser(platform.gatewayUrl);
    const friend = await registerUser(platform.gatewayUrl);
    await startConversation(platform.gatewayUrl, user, [friend]);
    const flaky = connectFlakyClient(platform.gatewayUrl, user.token);
    const ended = new Promise<unknown>((resolve) => {
      flaky.client.subscribe(
        { query: 'subscription { messageAdded { id } }' },
        { next: () => undefined, error: (error) => resolve({ error }), complete: () => resolve('complete') },
      );
    });
    await until(() => flaky.state.pings >= 1, 5000);
    expect(await online(platform, user)).toBe(true);

    flaky.state.answering = false;
    const silentSince = flaky.state.pings;
    const closed = await flaky.closed;
    // Terminated after two unanswered pings, at the third beat: no close frame, so 1006 here.
    expect(closed.code).toBe(1006);
    expect(flaky.state.pings - silentSince).toBeGreaterThanOrEqual(2);
    expect(flaky.state.pings - silentSince).toBeLessThanOrEqual(3);
    expect(await ended).toEqual({ error: expect.anything() });
    // Presence is written when the gateway sees the close; a query may race it by a moment.
    await eventually(async () => (await online(platform, user)) === false, 3000);
    await flaky.client.dispose();
  });
});

describe('WebSocket caps', () => {
  const platform = usePlatform({
    WEBSOCKET_MAX_SUBSCRIPTIONS: '3',
    WEBSOCKET_MAX_PER_VIEWER: '2',
    WEBSOCKET_MAX_PER_ADDRESS: '4',
  });

  it('refuses an operation over the cap of one socket, naming the limit, and accepts one again once another ends', async () => {
    const user = await registerUser(platform.gatewayUrl);
    const socket = connectSocket(platform.gatewayUrl, user.token);
    try {
      await socket.connected;
      const open = [1, 2, 3].map(() => subscribe(socket, 'subscription { messageAdded { id } }'));
      const refused = subscribe(socket, 'subscription { messageAdded { id } }');
      const error = errorsOf(await refused.ended);
      expect(error).toEqual([
        expect.objectContaining({
          message: 'At most 3 operations can be open on one connection.',
          extensions: { code: 'RATE_LIMITED', retryAfter: 0, limit: 'WEBSOCKET_MAX_SUBSCRIPTIONS' },
        }),
      ]);
      open[0]?.unsubscribe();
      // The socket stays usable: once the server has seen one complete, a query fits again.
      const again = await new Promise<unknown>((resolve) => {
        const results: unknown[] = [];
        const retry = () =>
          socket.client.subscribe(
            { query: '{ me { id } }' },
            {
              next: (result) => results.push(result),
              // Refused until the server has handled the complete: asked again at each refusal.
              error: () => setImmediate(retry),
              complete: () => resolve(results),
            },
          );
        retry();
      });
      expect(again).toEqual([{ data: { me: { id: user.id } } }]);
      for (const subscription of open) subscription.unsubscribe();
    } finally {
      await socket.dispose();
    }
  });

  it('closes a viewer’s socket over its cap with 1013, and other viewers still connect', async () => {
    const [ada, bob] = await Promise.all([registerUser(platform.gatewayUrl), registerUser(platform.gatewayUrl)]);
    const sockets = [connectSocket(platform.gatewayUrl, ada.token), connectSocket(platform.gatewayUrl, ada.token)];
    try {
      await Promise.all(sockets.map((socket) => socket.connected));
      const third = connectSocket(platform.gatewayUrl, ada.token);
      sockets.push(third);
      expect(await third.closed).toEqual({ code: 1013, reason: 'Too many connections for this viewer (at most 2)' });
      const other = connectSocket(platform.gatewayUrl, bob.token);
      sockets.push(other);
      await other.connected;
      // A closed socket frees its place, as soon as the gateway has seen it close.
      await sockets[0]?.dispose();
      await eventually(async () => {
        const replacement = connectSocket(platform.gatewayUrl, ada.token);
        sockets.push(replacement);
        return Promise.race([replacement.connected.then(() => true), replacement.closed.then(() => false)]);
      }, 3000);
    } finally {
      await Promise.all(sockets.map((socket) => socket.dispose()));
    }
  });

  it('closes sockets from one address over its cap with 1013', async () => {
    const sockets = Array.from({ length: 4 }, () => connectSocket(platform.gatewayUrl));
    try {
      await Promise.all(sockets.map((socket) => socket.connected));
      const fifth = connectSocket(platform.gatewayUrl);
      sockets.push(fifth);
      expect(await fifth.closed).toEqual({ code: 1013, reason: 'Too many connections from this address (at most 4)' });
    } finally {
      await Promise.all(sockets.map((socket) => socket.dispose()));
    }
  });
});
