import { beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';
import { connectSocket, errorsOf, subscribe, type TestSocket, untilLive } from './support/websocket.js';

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

  /** Runs one operation on `socket` with `headers` in its extensions; `done` resolves with its events, or its error. */
  function run(socket: TestSocket, query: string, headers: Record<string, string>) {
    const operation = subscribe(socket, query, {}, { headers });
    const done: Promise<unknown> = operation.ended.then((ending) =>
      ending.kind === 'complete' ? operation.events : { error: errorsOf(ending) },
    );
    return { ...operation, done };
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
      // Until both are live, poke both conversations.
      await untilLive([asAda, asBob], async () => {
        await sendMessage(platform.gatewayUrl, carol, adaAndCarol.id, 'warm-up');
        await sendMessage(platform.gatewayUrl, carol, bobAndCarol.id, 'warm-up');
      });
      const conversationsOf = (results: unknown[]) =>
        new Set(
          results.map(
            (result) =>
              (result as { data: { messageAdded: { conversation: { id: string } } } }).data.messageAdded.conversation.id,
          ),
        );
      expect(conversationsOf(asAda.events)).toEqual(new Set([adaAndCarol.id]));
      expect(conversationsOf(asBob.events)).toEqual(new Set([bobAndCarol.id]));
      asAda.unsubscribe();
      asBob.unsubscribe();
    } finally {
      await socket.dispose();
    }
  });
});
