import { createServer, type Socket } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGateway, gatewaySettingsFrom } from '../gateway/server.js';
import { startHttpServer } from '../lib/infra/http-server.js';
import { createLogger } from '../lib/kernel/logger.js';
import { createPost, follow, likePost } from './support/actions.js';
import { graphql, registerUser, type TestUser, uniqueName } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform, usingRealPostgres } from './support/platform.js';
import { eventually } from './support/until.js';
import { connectSocket } from './support/websocket.js';

/**
 * The gateway's response cache, through the real gateway: what is shared and what is per
 * viewer, X-Cache, TTL 0 for the feed and presence, and invalidation by the entities a
 * mutation touched, including its side effects on other entities.
 */

// Presence is cached for 5 s by default; 1 s here so its expiry can be tested.
const platform = usePlatform({ RESPONSE_CACHE_TTL: 'User.online=1' });
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const xCache = (response: { headers: Headers }) => response.headers.get('x-cache');

async function lookups(origin: string): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const count = (outcome: string) =>
    Number(
      new RegExp(`^gateway_response_cache_lookups_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0,
    );
  return { hit: count('hit'), miss: count('miss') };
}

describe('public data', () => {
  it('is answered from the cache on repeat, for every viewer alike, with X-Cache and counters', async () => {
    const author = await registerUser(url);
    const post = await createPost(url, author, `cache me ${uniqueName('w')}`);
    const reader = await registerUser(url);
    const query = 'query ($id: ID!) { post(id: $id) { id content likesCount author { username } } }';
    const before = await lookups(platform.gatewayOrigin);

    const first = await graphql(url, query, { id: post.id });
    const second = await graphql(url, query, { id: post.id });
    const asReader = await graphql(url, query, { id: post.id }, { token: reader.token });

    expect(xCache(first)).toBe('MISS');
    expect(xCache(second)).toBe('HIT');
    expect(xCache(asReader)).toBe('HIT');
    const expected = { post: { id: post.id, content: post.content, likesCount: 0, author: { username: author.username } } };
    for (const response of [first, second, asReader]) {
      expect(response.data).toEqual(expected);
      // The cache's bookkeeping never reaches the client.
      expect(JSON.stringify(response)).not.toContain('responseCache');
    }
    const after = await lookups(platform.gatewayOrigin);
    expect(after.hit - before.hit).toBe(2);
    expect(after.miss - before.miss).toBe(1);
  });

  it('keeps different variables apart', async () => {
    const author = await registerUser(url);
    const one = await createPost(url, author, 'first of two');
    const two = await createPost(url, author, 'second of two');
    const query = 'query ($id: ID!) { post(id: $id) { content } }';
    await graphql(url, query, { id: one.id });
    const other = await graphql(url, query, { id: two.id });
    expect(xCache(other)).toBe('MISS');
    expect(other.data).toEqual({ post: { content: 'second of two' } });
  });
});

describe('viewer-dependent data', () => {
  it('is cached per viewer and never served to another', async () => {
    const alice = await registerUser(url);
    const bob = await registerUser(url);
    const query = '{ me { id username email } }';

    const aliceFirst = await graphql(url, query, {}, { token: alice.token });
    const aliceAgain = await graphql(url, query, {}, { token: alice.token });
    const bobFirst = await graphql(url, query, {}, { token: bob.token });
    const anonymous = await graphql(url, query);

    expect(xCache(aliceFirst)).toBe('MISS');
    expect(xCache(aliceAgain)).toBe('HIT');
    expect(aliceAgain.data).toEqual({ me: { id: alice.id, username: alice.username, email: alice.email } });
    expect(xCache(bobFirst)).toBe('MISS');
    expect(bobFirst.data).toEqual({ me: { id: bob.id, username: bob.username, email: bob.email } });
    expect(anonymous.data).toEqual({ me: null });
  });

  it('keeps likedByViewer per viewer on an otherwise public post', async () => {
    const author = await registerUser(url);
    const liker = await registerUser(url);
    const other = await registerUser(url);
    const post = await createPost(url, author, 'like state');
    await likePost(url, liker, post.id);
    const query = 'query ($id: ID!) { post(id: $id) { likesCount likedByViewer } }';

    const asLiker = await graphql(url, query, { id: post.id }, { token: liker.token });
    const asOther = await graphql(url, query, { id: post.id }, { token: other.token });
    const asOtherAgain = await graphql(url, query, { id: post.id }, { token: other.token });

    expect(asLiker.data).toEqual({ post: { likesCount: 1, likedByViewer: true } });
    expect(asOther.data).toEqual({ post: { likesCount: 1, likedByViewer: false } });
    expect(xCache(asOther)).toBe('MISS');
    expect(xCache(asOtherAgain)).toBe('HIT');
    expect(asOtherAgain.data).toEqual(asOther.data);
  });
});

describe('never cached', () => {
  it('does not cache the feed, mutations or errors', async () => {
    const viewer = await registerUser(url);
    const feed = '{ feed(first: 5) { nodes { id } } }';
    await graphql(url, feed, {}, { token: viewer.token });
    const feedAgain = await graphql(url, feed, {}, { token: viewer.token });
    expect(feedAgain.errors).toBeUndefined();
    expect(xCache(feedAgain)).toBeNull();

    const created = await graphql(url, 'mutation { createPost(content: "not cached") { id } }', {}, { token: viewer.token });
    expect(xCache(created)).toBeNull();
    expect(JSON.stringify(created)).not.toContain('touchedEntities');

    const [alice, bob] = [await registerUser(url), await registerUser(url)];
    const { id } = await startConversation(url, alice, [bob]);
    const forbidden = 'query ($id: ID!) { conversation(id: $id) { id } }';
    await graphql(url, forbidden, { id }, { token: viewer.token });
    const forbiddenAgain = await graphql(url, forbidden, { id }, { token: viewer.token });
    expect(forbiddenAgain.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(xCache(forbiddenAgain)).toBe('MISS');
  });
});

describe('presence', () => {
  it('is cached only for its short TTL, the smallest in the response', async () => {
    const user = await registerUser(url);
    const query = 'query ($id: ID!) { user(id: $id) { username online } }';
    expect(xCache(await graphql(url, query, { id: user.id }))).toBe('MISS');
    expect(xCache(await graphql(url, query, { id: user.id }))).toBe('HIT');
    // The TTL is what is tested: only time makes it run out.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await graphql(url, query, { id: user.id });
    expect(xCache(later)).toBe('MISS');
    expect(later.data).toEqual({ user: { username: user.username, online: false } });
  });

  it('is invalidated when the user connects and when they leave', async () => {
    const user = await registerUser(url);
    const query = 'query ($id: ID!) { user(id: $id) { online } }';
    await graphql(url, query, { id: user.id });
    expect(xCache(await graphql(url, query, { id: user.id }))).toBe('HIT');
    /** Within 500 ms, under the 1 s TTL: only an invalidation changes the answer that soon. */
    const answersSoon = (online: boolean) =>
      eventually(async () => {
        const { data } = await graphql(url, query, { id: user.id });
        return JSON.stringify(data) === JSON.stringify({ user: { online } });
      }, 500);
    const socket = connectSocket(url, user.token);
    await socket.connected;
    await answersSoon(true);
    await socket.dispose();
    await socket.closed;
    await answersSoon(false);
  });

  it('never caches onlineUsers, which is about the viewer and changes without a mutation', async () => {
    const viewer = await registerUser(url);
    await graphql(url, '{ onlineUsers { id } }', {}, { token: viewer.token });
    expect(xCache(await graphql(url, '{ onlineUsers { id } }', {}, { token: viewer.token }))).toBeNull();
  });
});

describe('invalidation', () => {
  /** Runs `query` twice (the second must be a HIT), then `write`, then expects the next run to be fresh. */
  async function expectFreshAfter(
    query: string,
    variables: Record<string, unknown>,
    token: string | undefined,
    write: () => Promise<unknown>,
  ) {
    const before = await graphql(url, query, variables, { token });
    expect(before.errors).toBeUndefined();
    expect(xCache(await graphql(url, query, variables, { token }))).toBe('HIT');
    await write();
    const after = await graphql(url, query, variables, { token });
    expect(after.errors).toBeUndefined();
    expect(xCache(after)).toBe('MISS');
    return { before: before.data, after: after.data };
  }

  it('likePost: the liked post, even when the mutation selects nothing of it', async () => {
    const author = await registerUser(url);
    const liker = await registerUser(url);
    const post = await createPost(url, author, 'to be liked');
    const { before, after } = await expectFreshAfter(
      'query ($id: ID!) { post(id: $id) { likesCount } }',
      { id: post.id },
      undefined,
      () => graphql(url, 'mutation ($id: ID!) { likePost(id: $id) { __typename } }', { id: post.id }, { token: liker.token }),
    );
    expect(before).toEqual({ post: { likesCount: 0 } });
    expect(after).toEqual({ post: { likesCount: 1 } });
  });

  it('follow: the follower’s followingCount, a side effect the result does not show', async () => {
    const follower = await registerUser(url);
    const followee = await registerUser(url);
    const { before, after } = await expectFreshAfter(
      'query ($id: ID!) { user(id: $id) { followingCount following(first: 5) { nodes { username } } } }',
      { id: follower.id },
      undefined,
      () => follow(url, follower, followee),
    );
    expect(before).toEqual({ user: { followingCount: 0, following: { nodes: [] } } });
    expect(after).toEqual({ user: { followingCount: 1, following: { nodes: [{ username: followee.username }] } } });
  });

  it('unfollow: the followee’s followersCount, which the mutation returns without the count', async () => {
    const follower = await registerUser(url);
    const followee = await registerUser(url);
    await follow(url, follower, followee);
    const { before, after } = await expectFreshAfter(
      'query ($id: ID!) { user(id: $id) { followersCount } }',
      { id: followee.id },
      undefined,
      () => graphql(url, 'mutation ($id: ID!) { unfollow(userId: $id) { id } }', { id: followee.id }, { token: follower.token }),
    );
    expect(before).toEqual({ user: { followersCount: 1 } });
    expect(after).toEqual({ user: { followersCount: 0 } });
  });

  it('createPost: the author’s postsCount and lists the new post joins, empty ones included', async () => {
    const author = await registerUser(url);
    const tag = uniqueName('tag').replace(/[^a-z0-9_]/g, '');
    const { after: profile } = await expectFreshAfter(
      'query ($id: ID!) { user(id: $id) { postsCount posts(first: 5) { nodes { content } } } }',
      { id: author.id },
      undefined,
      async () => {
        const { after: byTag } = await expectFreshAfter(
          'query ($tag: String!) { postsByHashtag(tag: $tag) { nodes { content } } }',
          { tag },
          undefined,
          () => createPost(url, author, `hello #${tag}`),
        );
        expect(byTag).toEqual({ postsByHashtag: { nodes: [{ content: `hello #${tag}` }] } });
      },
    );
    expect(profile).toEqual({ user: { postsCount: 1, posts: { nodes: [{ content: `hello #${tag}` }] } } });
  });

  it('sendMessage: lastMessage and unreadCount in the other member’s cached conversations', async () => {
    const alice = await registerUser(url);
    const bob = await registerUser(url);
    const conversation = await startConversation(url, alice, [bob]);
    const { before, after } = await expectFreshAfter(
      '{ conversations(first: 5) { nodes { id unreadCount lastMessage { body } } } }',
      {},
      bob.token,
      () => sendMessage(url, alice, conversation.id, 'are you there?'),
    );
    expect(before).toEqual({ conversations: { nodes: [{ id: conversation.id, unreadCount: 0, lastMessage: null }] } });
    expect(after).toEqual({
      conversations: { nodes: [{ id: conversation.id, unreadCount: 1, lastMessage: { body: 'are you there?' } }] },
    });
  });

  it('updateProfile: the profile, and search results by the new university', async () => {
    const student = await registerUser(url);
    const university = uniqueName('Uni');
    const { before, after } = await expectFreshAfter(
      'query ($q: String!, $u: String) { searchUsers(query: $q, university: $u) { nodes { username university } } }',
      { q: student.username, u: university },
      undefined,
      () =>
        graphql(
          url,
          'mutation ($u: String) { updateProfile(input: { university: $u }) { id } }',
          { u: university },
          {
            token: student.token,
          },
        ),
    );
    expect(before).toEqual({ searchUsers: { nodes: [] } });
    expect(after).toEqual({ searchUsers: { nodes: [{ username: student.username, university }] } });
  });
});

describe.runIf(usingRealPostgres && process.env.REDIS_URL)('two gateway instances on one Redis', () => {
  const second = usePlatform({}, { shareDatabaseWith: platform });

  it('share cached responses, and an invalidation by one reaches the other', async () => {
    const author = await registerUser(url);
    const liker: TestUser = await registerUser(url);
    const post = await createPost(url, author, 'two gateways');
    const query = 'query ($id: ID!) { post(id: $id) { likesCount } }';

    expect(xCache(await graphql(second.gatewayUrl, query, { id: post.id }))).toBe('MISS');
    const shared = await graphql(url, query, { id: post.id });
    expect(xCache(shared)).toBe('HIT');
    expect(shared.data).toEqual({ post: { likesCount: 0 } });

    await likePost(url, liker, post.id);
    const onSecond = await graphql(second.gatewayUrl, query, { id: post.id });
    expect(xCache(onSecond)).toBe('MISS');
    expect(onSecond.data).toEqual({ post: { likesCount: 1 } });
  });
});

describe('a response cache whose Redis hangs', () => {
  it('answers every query from the subgraphs, as misses, and writes still work', async () => {
    // Accepts connections and never answers: the cache client must not wait for it.
    const sockets: Socket[] = [];
    const blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const redisUrl = `redis://127.0.0.1:${(blackHole.address() as { port: number }).port}`;
    const settings = gatewaySettingsFrom(platform.config);
    const gateway = await createGateway({
      ...settings,
      responseCache: { ...platform.config.responseCache, enabled: true, redisUrl, namespace: 'unused' },
      subgraphUrls: Object.fromEntries(Object.entries(platform.subgraphs).map(([name, subgraph]) => [name, subgraph.url])),
      tokens: platform.tokens,
      store: platform.store,
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    const server = await startHttpServer(gateway.handler, { port: 0, host: '127.0.0.1' });
    const hungUrl = `${server.origin}/graphql`;
    try {
      const author = await registerUser(hungUrl);
      const post = await createPost(hungUrl, author, 'cache down');
      const query = 'query ($id: ID!) { post(id: $id) { content likesCount } }';
      for (const expected of [0, 0, 1]) {
        if (expected === 1) await likePost(hungUrl, author, post.id);
        const response = await graphql(hungUrl, query, { id: post.id });
        expect(response.errors).toBeUndefined();
        expect(response.data).toEqual({ post: { content: 'cache down', likesCount: expected } });
        expect(xCache(response)).toBe('MISS');
      }
      const metrics = await (await fetch(`${server.origin}/metrics`)).text();
      expect(metrics).toMatch(/^gateway_response_cache_errors_total\{[^}]*operation="lookup"[^}]*\} [1-9]/m);
    } finally {
      await server.close();
      await gateway.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });
});
