import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPost, likePost } from './support/actions.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { TEST_JWT_SECRET, usePlatform } from './support/platform.js';
import { connectSocket } from './support/websocket.js';

/**
 * A validly signed token is not enough: its subject must be an account that exists. Tokens of
 * accounts that never existed or were removed cannot write rows that point at nobody, and what
 * other users read never breaks on such rows.
 */
describe('tokens whose account does not exist', () => {
  const platform = usePlatform();
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([registerUser(platform.gatewayUrl), registerUser(platform.gatewayUrl)]);
  });

  const writes = (target: { postId: string; userId: string; conversationId: string }) => [
    { name: 'createPost', query: 'mutation { createPost(content: "from nobody #ghost") { id } }', variables: {} },
    { name: 'likePost', query: 'mutation ($id: ID!) { likePost(id: $id) { id } }', variables: { id: target.postId } },
    {
      name: 'startConversation',
      query: 'mutation ($m: [ID!]!) { startConversation(memberIds: $m) { id } }',
      variables: { m: [target.userId] },
    },
    {
      name: 'sendMessage',
      query: 'mutation ($c: ID!) { sendMessage(conversationId: $c, body: "boo", clientMessageId: "ghost-1") { id } }',
      variables: { c: target.conversationId },
    },
    { name: 'follow', query: 'mutation ($u: ID!) { follow(userId: $u) { id } }', variables: { u: target.userId } },
    { name: 'me', query: '{ me { id } }', variables: {} },
  ];

  async function rowsPointingAtNobody(): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select (select count(*) from posts.posts p where not exists (select 1 from users.users u where u.id = p.author_id))
           + (select count(*) from posts.likes l where not exists (select 1 from users.users u where u.id = l.user_id))
           + (select count(*) from messages.members m where not exists (select 1 from users.users u where u.id = m.user_id))
           + (select count(*) from messages.messages m where not exists (select 1 from users.users u where u.id = m.sender_id))
           as n`.execute(platform.database.kysely);
    return Number(rows[0]?.n);
  }

  it('a random subject: every operation and a WebSocket answer UNAUTHENTICATED, and nothing is stored', async () => {
    const post = await createPost(platform.gatewayUrl, alice, 'a post to like');
    const conversation = await startConversation(platform.gatewayUrl, alice, [bob]);
    const ghost = await platform.tokens.sign(randomUUID());
    for (const { name, query, variables } of writes({ postId: post.id, userId: bob.id, conversationId: conversation.id })) {
      const response = await graphql(platform.gatewayUrl, query, variables, { token: ghost });
      expect({ name, codes: errorCodes(response), status: response.status }).toEqual({
        name,
        codes: ['UNAUTHENTICATED'],
        status: 401,
      });
    }
    const socket = connectSocket(platform.gatewayUrl, ghost);
    expect((await socket.closed).code).toBe(4403);
    expect(await rowsPointingAtNobody()).toBe(0);
  });

  it('a subject that is not a user id answers UNAUTHENTICATED, not an internal error', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('not-a-uuid')
      .setIssuer(platform.config.auth.issuer)
      .setAudience(platform.config.auth.audience)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    for (const query of [
      '{ me { id } }',
      'mutation { createPost(content: "x") { id } }',
      'mutation { follow(userId: "x") { id } }',
    ]) {
      const response = await graphql(platform.gatewayUrl, query, {}, { token });
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('an account removed in the database: its token can no longer write, and others read on undisturbed', async () => {
    const [carol, dave] = await Promise.all([registerUser(platform.gatewayUrl), registerUser(platform.gatewayUrl)]);
    const tag = `gone${randomUUID().slice(0, 8)}`;
    const post = await createPost(platform.gatewayUrl, carol, `soon gone #${tag}`);
    await likePost(platform.gatewayUrl, dave, post.id);
    const kept = await createPost(platform.gatewayUrl, dave, `still here #${tag}`);
    await likePost(platform.gatewayUrl, carol, kept.id);
    const group = await startConversation(platform.gatewayUrl, dave, [carol, alice], 'with carol');
    await sendMessage(platform.gatewayUrl, carol, group.id, 'carol was here');
    await sendMessage(platform.gatewayUrl, dave, group.id, 'dave stays');

    await sql`delete from users.users where id = ${carol.id}`.execute(platform.database.kysely);

    // The gateway checked carol's account a moment ago and trusts that for up to a minute, so
    // these reach the subgraphs, where the references to users.users refuse them. Her
    // memberships went with her account: in the group she is simply no longer a member.
    const refused = [];
    for (const { name, query, variables } of writes({ postId: kept.id, userId: dave.id, conversationId: group.id })) {
      if (name === 'me') continue;
      refused.push({ name, codes: errorCodes(await graphql(platform.gatewayUrl, query, variables, { token: carol.token })) });
    }
    expect(refused).toEqual([
      { name: 'createPost', codes: ['UNAUTHENTICATED'] },
      { name: 'likePost', codes: ['UNAUTHENTICATED'] },
      { name: 'startConversation', codes: ['UNAUTHENTICATED'] },
      { name: 'sendMessage', codes: ['FORBIDDEN'] },
      { name: 'follow', codes: ['UNAUTHENTICATED'] },
    ]);
    expect(await rowsPointingAtNobody()).toBe(0);

    const reads = await Promise.all([
      graphql(platform.gatewayUrl, 'query ($q: String!) { searchPosts(query: $q) { nodes { content author { id } } } }', {
        q: tag,
      }),
      graphql(platform.gatewayUrl, 'query ($t: String!) { postsByHashtag(tag: $t) { nodes { content author { id } } } }', {
        t: tag,
      }),
      graphql(platform.gatewayUrl, 'query ($id: ID!, $k: ID!) { a: post(id: $id) { id } b: post(id: $k) { author { id } } }', {
        id: post.id,
        k: kept.id,
      }),
      graphql(
        platform.gatewayUrl,
        'query ($c: ID!) { conversation(id: $c) { members { id } messages { nodes { body sender { id } } } } }',
        { c: group.id },
        { token: dave.token },
      ),
      graphql(
        platform.gatewayUrl,
        '{ conversations { nodes { id lastMessage { body sender { id } } } } }',
        {},
        { token: dave.token },
      ),
    ]);
    for (const read of reads) expect(read.errors).toBeUndefined();
    const [search, byTag, posts, conversation, conversations] = reads.map((read) => read.data);
    expect(search).toEqual({ searchPosts: { nodes: [{ content: `still here #${tag}`, author: { id: dave.id } }] } });
    expect(byTag).toEqual({ postsByHashtag: { nodes: [{ content: `still here #${tag}`, author: { id: dave.id } }] } });
    expect(posts).toEqual({ a: null, b: { author: { id: dave.id } } });
    expect(conversation).toEqual({
      conversation: {
        members: expect.arrayContaining([{ id: dave.id }, { id: alice.id }]),
        messages: { nodes: [{ body: 'dave stays', sender: { id: dave.id } }] },
      },
    });
    expect(conversation?.conversation.members).toHaveLength(2);
    expect(conversations).toEqual({
      conversations: { nodes: [{ id: group.id, lastMessage: { body: 'dave stays', sender: { id: dave.id } } }] },
    });
  });

  it('the gateway never answers data: null without an error', async () => {
    // A row that points at nobody, written past the constraints (as a bug or a restore might).
    const orphan = randomUUID();
    await platform.database.kysely.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`insert into posts.posts (id, author_id, content) values (${orphan}, ${randomUUID()}, 'orphan')`.execute(trx);
    });
    const response = await graphql(platform.gatewayUrl, 'query ($id: ID!) { post(id: $id) { content author { username } } }', {
      id: orphan,
    });
    expect(response.data).toEqual({ post: null });
    expect(response.errors).toEqual([
      {
        message: 'Cannot return null for non-nullable field User.username.',
        path: ['post', 'author', 'username'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    await sql`delete from posts.posts where id = ${orphan}`.execute(platform.database.kysely);
  });
});
