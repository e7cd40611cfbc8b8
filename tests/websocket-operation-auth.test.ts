import { beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';
import { connectSocket, type TestSocket } from './support/websocket.js';

/**
 * GraphiQL opens its socket with no connectionParams and sends the Headers tab with each
 * operation (`extensions.headers.Authorization`). Such a token is verified like the HTTP
 * header and speaks for its own operation only.
 */
describe('a token sent with an operation over the WebSocket', () => {
  const platform = usePlatform();
  let ada: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    [ada, bob, carol] = await Promise.all([
      registerUser(platform.gatewayUrl),
      registerUser(platform.gatewayUrl),
      registerUser(platform.gatewayUrl),
    ]);
  });

  /** Runs one operation on `socket` with `headers` in its extensions; resolves with its results, or its error. */
  function run(socket: TestSocket, query: string, headers: Record<string, string>, onNext?: (result: unknown) => void) {
    const results: unknown[] = [];
    let cancel: () => void = () => undefined;
    const done = new Promise<unknown>((resolve) => {
      cancel = socket.client.subscribe(
        { query, extensions: { headers } },
        {
          next: (result) => {
            results.push(result);
            onNext?.(result);
          },
          error: (error) => resolve({ error }),
          complete: () => resolve(results),
        },
      );
    });
    return { done, results, cancel: () => cancel() };
  }

  it('signs in a query on an anonymous socket, and only that query', async () => {
    const socket = connectSocket(platform.gatewayUrl);
    try {
      await socket.connected;
      expect(await run(socket, '{ me { id } }', { Authorization: `Bearer ${ada.token}` }).done).toEqual([
        { data: { me: { id: ada.id } } },
      ]);
      expect(await run(socket, '{ me { id } }', {}).done).toEqual([{ data: { me: null } }]);
    } finally {
      await socket.dispose();
    }
  });

  it('refuses a bad token for its operation with UNAUTHENTICATED and keeps the socket', async () => {
    const socket = connectSocket(platform.gatewayUrl);
    try {
      await socket.connected;
      const refused = (await run(socket, '{ me { id } }', { authorization: 'Bearer not-a-token' }).done) as {
        error: { extensions: { code: string } }[];
      };
      expect(refused.error.map((error) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
      expect(await run(socket, '{ __typename }', {}).done).toEqual([{ data: { __typename: 'Query' } }]);
    } finally {
      await socket.dispose();
    }
  });

  it('runs two users’ subscriptions on one socket, each seeing only its own conversations', async () => {
    const adaAndCarol = await startConversation(platform.gatewayUrl, ada, [carol], 'ada and carol');
    const bobAndCarol = await startConversation(platform.gatewayUrl, bob, [carol], 'bob and carol');
    // Signed in as carol: the socket's own viewer is neither ada nor bob.
    const socket = connectSocket(platform.gatewayUrl, carol.token);
    try {
      await socket.connected;
      const query = 'subscription { messageAdded { body conversation { id } } }';
      const asAda = run(socket, query, { Authorization: `Bearer ${ada.token}` });
      const asBob = run(socket, query, { Authorization: `Bearer ${bob.token}` });
      // Until both are live, poke both conversations; then one message each.
      for (let i = 0; asAda.results.length === 0 || asBob.results.length === 0; i += 1) {
        if (i > 100) throw new Error('subscriptions never became live');
        await sendMessage(platform.gatewayUrl, carol, adaAndCarol.id, 'warm-up');
        await sendMessage(platform.gatewayUrl, carol, bobAndCarol.id, 'warm-up');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const conversationsOf = (results: unknown[]) =>
        new Set(
          results.map(
            (result) =>
              (result as { data: { messageAdded: { conversation: { id: string } } } }).data.messageAdded.conversation.id,
          ),
        );
      expect(conversationsOf(asAda.results)).toEqual(new Set([adaAndCarol.id]));
      expect(conversationsOf(asBob.results)).toEqual(new Set([bobAndCarol.id]));
      asAda.cancel();
      asBob.cancel();
    } finally {
      await socket.dispose();
    }
  });
});
