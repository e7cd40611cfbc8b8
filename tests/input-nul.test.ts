import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPost } from './support/actions.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';
import { connectSocket, subscribe, untilLive } from './support/websocket.js';

const NUL = 'x\u0000y';

/**
 * PostgreSQL text cannot hold U+0000. A NUL in any string argument is the client's mistake
 * (BAD_USER_INPUT naming the argument), never an INTERNAL_SERVER_ERROR, and never the failure
 * of another user's write that happened to share its batch.
 */
describe('a NUL character in any string argument', () => {
  const platform = usePlatform();
  let viewer: TestUser;
  let friend: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    viewer = await registerUser(platform.gatewayUrl);
    friend = await registerUser(platform.gatewayUrl);
    conversationId = (await startConversation(platform.gatewayUrl, viewer, [friend])).id;
  });

  const cases: { name: string; query: string; variables: () => Record<string, unknown>; field: string; signedIn: boolean }[] = [
    {
      name: 'createPost content',
      query: 'mutation ($c: String!) { createPost(content: $c) { id } }',
      variables: () => ({ c: `#tag${NUL}` }),
      field: 'content',
      signedIn: true,
    },
    {
      name: 'searchPosts',
      query: 'query ($q: String!) { searchPosts(query: $q) { nodes { id } } }',
      variables: () => ({ q: 'a\u0000b' }),
      field: 'query',
      signedIn: false,
    },
    {
      name: 'searchUsers (literal)',
      query: `{ searchUsers(query: "a\\u0000b") { nodes { id } } }`,
      variables: () => ({}),
      field: 'query',
      signedIn: false,
    },
    {
      name: 'postsByHashtag',
      query: 'query ($t: String!) { postsByHashtag(tag: $t) { nodes { id } } }',
      variables: () => ({ t: NUL }),
      field: 'tag',
      signedIn: false,
    },
    {
      name: 'user(username)',
      query: 'query ($u: String) { user(username: $u) { id } }',
      variables: () => ({ u: NUL }),
      field: 'username',
      signedIn: false,
    },
    {
      name: 'updateProfile',
      query: 'mutation ($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }',
      variables: () => ({ i: { bio: NUL } }),
      field: 'bio',
      signedIn: true,
    },
    {
      name: 'login',
      query: 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
      variables: () => ({ e: viewer.email, p: NUL }),
      field: 'password',
      signedIn: false,
    },
    {
      name: 'register',
      query: 'mutation ($i: RegisterInput!) { register(input: $i) { token } }',
      variables: () => ({
        i: { email: 'nul@example.edu', username: 'nul_user', password: 'correct horse battery', displayName: NUL },
      }),
      field: 'displayName',
      signedIn: false,
    },
    {
      name: 'startConversation title',
      query: 'mutation ($m: [ID!]!, $t: String) { startConversation(memberIds: $m, title: $t) { id } }',
      variables: () => ({ m: [friend.id], t: NUL }),
      field: 'title',
      signedIn: true,
    },
    {
      name: 'startConversation memberIds (a list item)',
      query: 'mutation ($m: [ID!]!) { startConversation(memberIds: $m) { id } }',
      variables: () => ({ m: [friend.id, NUL] }),
      field: 'memberIds.1',
      signedIn: true,
    },
    {
      name: 'sendMessage body',
      query:
        'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id } }',
      variables: () => ({ c: conversationId, b: NUL, k: randomUUID() }),
      field: 'body',
      signedIn: true,
    },
    {
      name: 'sendMessage clientMessageId',
      query:
        'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id } }',
      variables: () => ({ c: conversationId, b: 'hello', k: NUL }),
      field: 'clientMessageId',
      signedIn: true,
    },
  ];

  it('finds a NUL however deep a variable nests, and names where it starts', async () => {
    const depth = 100_000;
    const body = `{"query":"mutation ($m: [ID!]!) { startConversation(memberIds: $m) { id } }","variables":{"m":${'['.repeat(depth)}"a\\u0000"${']'.repeat(depth)}}}`;
    const response = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer.token}` },
      body,
    });
    expect(response.status).toBeLessThan(500);
    const { errors } = (await response.json()) as { errors: { extensions: { code: string; field: string } }[] };
    expect(errors.map((error) => error.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'memberIds.0.0.0.0.0.0.0…' }]);
  });

  for (const { name, query, variables, field, signedIn } of cases) {
    it(`${name}: BAD_USER_INPUT naming ${field} over HTTP`, async () => {
      const response = await graphql(platform.gatewayUrl, query, variables(), { token: signedIn ? viewer.token : undefined });
      expect(response.status).toBeLessThan(500);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.field).toBe(field);
      expect(response.errors?.[0]?.message).toBe(`${field}: must not contain the NUL character (U+0000).`);
    });
  }

  it('over the WebSocket: a query, a mutation and a subscription answer BAD_USER_INPUT and the socket stays open', async () => {
    const socket = connectSocket(platform.gatewayUrl, viewer.token);
    try {
      await socket.connected;
      const run = (query: string, variables: Record<string, unknown>) =>
        new Promise<unknown>((resolve) => {
          const results: unknown[] = [];
          socket.client.subscribe(
            { query, variables },
            {
              next: (result) => results.push(result),
              error: (error) => resolve({ error }),
              complete: () => resolve(results),
            },
          );
        });
      const expected = (field: string) => [
        {
          errors: [
            expect.objectContaining({ message: expect.stringContaining(field), extensions: { code: 'BAD_USER_INPUT', field } }),
          ],
        },
      ];
      expect(await run('query ($q: String!) { searchPosts(query: $q) { nodes { id } } }', { q: NUL })).toEqual(expected('query'));
      expect(
        await run(
          'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id } }',
          {
            c: conversationId,
            b: NUL,
            k: randomUUID(),
          },
        ),
      ).toEqual(expected('body'));
      expect(await run('subscription ($c: ID) { messageAdded(conversationId: $c) { id } }', { c: NUL })).toEqual(
        expected('conversationId'),
      );
      // The same socket still works.
      const live = subscribe(socket, 'subscription ($c: ID) { messageAdded(conversationId: $c) { body } }', {
        c: conversationId,
      });
      await untilLive(live, () => sendMessage(platform.gatewayUrl, friend, conversationId, 'still open'));
      expect(live.events[0]).toEqual({ data: { messageAdded: { body: 'still open' } } });
      live.unsubscribe();
    } finally {
      await socket.dispose();
    }
  });

  it("stores nothing for a bad send and loses none of the others' sends made at the same moment", async () => {
    const members = await Promise.all(Array.from({ length: 9 }, () => registerUser(platform.gatewayUrl)));
    const [owner, ...others] = members as [TestUser, ...TestUser[]];
    const group = await startConversation(platform.gatewayUrl, owner, [...others, viewer], 'busy group');
    const send = (sender: TestUser, body: string) =>
      graphql(
        platform.gatewayUrl,
        'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { body } }',
        { c: group.id, b: body, k: randomUUID() },
        { token: sender.token },
      );
    // 9 members send 8 messages each, all at once, while another member sends NULs among them.
    const rounds = await Promise.all(
      Array.from({ length: 8 }, async (_, round) =>
        Promise.all([...members.map((member) => send(member, `round ${round} from ${member.username}`)), send(viewer, NUL)]),
      ),
    );
    const responses = rounds.flat();
    const valid = responses.filter((_, index) => index % 10 !== 9);
    const bad = responses.filter((_, index) => index % 10 === 9);
    expect(valid.filter((response) => response.errors !== undefined)).toEqual([]);
    expect(bad.map((response) => errorCodes(response))).toEqual(Array.from({ length: 8 }, () => ['BAD_USER_INPUT']));

    const stored = await graphql<{ conversation: { messages: { nodes: { body: string }[] } } }>(
      platform.gatewayUrl,
      'query ($c: ID!) { conversation(id: $c) { messages(first: 100) { nodes { body } } } }',
      { c: group.id },
      { token: owner.token },
    );
    const bodies = stored.data?.conversation.messages.nodes.map((node) => node.body) ?? [];
    expect(bodies).toHaveLength(72);
    expect(new Set(bodies).size).toBe(72);
    expect(bodies.some((body) => body.includes('\u0000'))).toBe(false);
  });

  it('a post whose content is fine is still created next to the refused one', async () => {
    const post = await createPost(platform.gatewayUrl, viewer, 'plain text #fine');
    expect(post.hashtags).toEqual(['fine']);
  });
});
