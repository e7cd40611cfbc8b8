import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createGateway, gatewaySettingsFrom } from '../gateway/server.js';
import { startHttpServer } from '../lib/infra/http-server.js';
import { createLogger } from '../lib/kernel/logger.js';
import { createPost, follow, likePost } from './support/actions.js';
import { graphql, registerUser, uniqueName } from './support/graphql.js';
import { sample, scrape } from './support/metrics.js';
import { type TestPlatform, usePlatform, usingRealPostgres } from './support/platform.js';

/**
 * The gateway's entity cache, through the real gateway with the response cache off (so every
 * query is executed and its fetches reach the entity cache): hits skip the subgraph and its
 * SQL, viewer-dependent fields are asked per viewer, a mutation invalidates before it answers,
 * across instances too, and a broken Redis is a miss.
 */

const platform = usePlatform({ RESPONSE_CACHE_ENABLED: 'false' });

/** Subgraph requests, SQL statements and entity-cache lookups so far, per subgraph. */
async function counters(target: TestPlatform = platform) {
  const [gateway, users, posts] = await Promise.all([
    scrape(target, 'gateway'),
    scrape(target, 'users'),
    scrape(target, 'posts'),
  ]);
  const of = (subgraph: string) => ({
    requests: sample(gateway, 'gateway_subgraph_requests_total', { subgraph }),
    hits: sample(gateway, 'gateway_entity_cache_lookups_total', { subgraph, outcome: 'hit' }),
    misses: sample(gateway, 'gateway_entity_cache_lookups_total', { subgraph, outcome: 'miss' }),
  });
  return {
    users: { ...of('users'), sql: sample(users, 'sql_statement_duration_seconds_count') },
    posts: { ...of('posts'), sql: sample(posts, 'sql_statement_duration_seconds_count') },
  };
}

type Counters = Awaited<ReturnType<typeof counters>>;

function grew(before: Counters, after: Counters) {
  const minus = (a: Counters['users'], b: Counters['users']) => ({
    requests: a.requests - b.requests,
    hits: a.hits - b.hits,
    misses: a.misses - b.misses,
    sql: a.sql - b.sql,
  });
  return { users: minus(after.users, before.users), posts: minus(after.posts, before.posts) };
}

/**
 * `user` after one request of theirs: the gateway checks that a token's account exists with a
 * users request, once a minute per account (gateway/viewer-accounts.ts), which counts would see.
 */
async function signedInOnce<U extends { token: string }>(user: U): Promise<U> {
  await graphql(platform.gatewayUrl, '{ trendingHashtags(limit: 1) { tag } }', {}, { token: user.token });
  return user;
}

const POST = 'query ($id: ID!) { post(id: $id) { id content likesCount author { id username displayName } } }';
const POST_AS_VIEWER = 'query ($id: ID!) { post(id: $id) { id content likesCount likedByViewer author { username } } }';

describe('hits', () => {
  it('skip the subgraphs and their SQL: the root fetch and the author entity, for every viewer alike', async () => {
    const author = await registerUser(platform.gatewayUrl);
    const post = await createPost(platform.gatewayUrl, author, `entity cache ${uniqueName('p')}`);
    const reader = await signedInOnce(await registerUser(platform.gatewayUrl));
    const expected = {
      post: {
        id: post.id,
        content: post.content,
        likesCount: 0,
        author: { id: author.id, username: author.username, displayName: `Student ${author.username}` },
      },
    };

    const start = await counters();
    const first = await graphql(platform.gatewayUrl, POST, { id: post.id });
    const afterFirst = await counters();
    const second = await graphql(platform.gatewayUrl, POST, { id: post.id }, { token: reader.token });
    const afterSecond = await counters();

    expect(first.data).toEqual(expected);
    expect(second.data).toEqual(expected);
    expect(second.errors).toBeUndefined();
    const cold = grew(start, afterFirst);
    expect(cold.posts).toMatchObject({ requests: 1, misses: 1, hits: 0 });
    expect(cold.users).toMatchObject({ requests: 1, misses: 1, hits: 0 });
    expect(cold.posts.sql).toBeGreaterThan(0);
    const warm = grew(afterFirst, afterSecond);
    expect(warm).toEqual({
      posts: { requests: 0, hits: 1, misses: 0, sql: 0 },
      users: { requests: 0, hits: 1, misses: 0, sql: 0 },
    });
  });

  it('are per entity: a list of posts by other authors reuses the authors already cached and asks only for the new one', async () => {
    const tag = `ec${uniqueName('t').replace(/[^a-z0-9]/gi, '')}`.slice(0, 30);
    const [one, two, three] = [
      await registerUser(platform.gatewayUrl),
      await registerUser(platform.gatewayUrl),
      await registerUser(platform.gatewayUrl),
    ];
    for (const author of [one, two]) await createPost(platform.gatewayUrl, author, `#${tag} by ${author.username}`);
    const query = `query ($tag: String!) { postsByHashtag(tag: $tag, first: 10) { nodes { content author { username } } } }`;
    await graphql(platform.gatewayUrl, query, { tag });
    await createPost(platform.gatewayUrl, three, `#${tag} by ${three.username}`);

    const before = await counters();
    const response = await graphql(platform.gatewayUrl, query, { tag });
    const after = await counters();

    const authors = (response.data as { postsByHashtag: { nodes: { author: { username: string } }[] } }).postsByHashtag.nodes.map(
      (node) => node.author.username,
    );
    expect(authors.sort()).toEqual([one.username, two.username, three.username].sort());
    // The new post invalidated the cached list (PostConnection): the root fetch ran again.
    expect(grew(before, after).posts).toMatchObject({ requests: 1, misses: 1 });
    // Three authors looked up: two hits, one miss, one request carrying only the missed one.
    expect(grew(before, after).users).toMatchObject({ requests: 1, hits: 2, misses: 1 });
  });
});

describe('viewer-dependent fields', () => {
  it('never reach another viewer: likedByViewer is asked per request, the rest comes from the shared entry', async () => {
    const author = await registerUser(platform.gatewayUrl);
    const post = await createPost(platform.gatewayUrl, author, 'liked by one of two');
    const alice = await registerUser(platform.gatewayUrl);
    const bob = await signedInOnce(await registerUser(platform.gatewayUrl));
    await likePost(platform.gatewayUrl, alice, post.id);

    const asAlice = await graphql(platform.gatewayUrl, POST_AS_VIEWER, { id: post.id }, { token: alice.token });
    const before = await counters();
    const asBob = await graphql(platform.gatewayUrl, POST_AS_VIEWER, { id: post.id }, { token: bob.token });
    const after = await counters();
    const anonymous = await graphql(platform.gatewayUrl, POST_AS_VIEWER, { id: post.id });
    const aliceAgain = await graphql(platform.gatewayUrl, POST_AS_VIEWER, { id: post.id }, { token: alice.token });

    const shape = (liked: boolean) => ({
      post: {
        id: post.id,
        content: 'liked by one of two',
        likesCount: 1,
        likedByViewer: liked,
        author: { username: author.username },
      },
    });
    expect(asAlice.data).toEqual(shape(true));
    expect(asBob.data).toEqual(shape(false));
    expect(anonymous.data).toEqual(shape(false));
    expect(aliceAgain.data).toEqual(shape(true));
    // Bob's answer: the post's entry and its author's were hits; one posts request asked for his likedByViewer only.
    expect(grew(before, after).posts).toMatchObject({ requests: 1, hits: 1, misses: 0 });
    expect(grew(before, after).users).toMatchObject({ requests: 0, hits: 1 });
  });

  it('never reach another viewer below an entity either: isFollowedByViewer and likedByViewer of a profile and its posts', async () => {
    const owner = await registerUser(platform.gatewayUrl);
    const post = await createPost(platform.gatewayUrl, owner, 'profile post');
    const fan = await registerUser(platform.gatewayUrl);
    const stranger = await registerUser(platform.gatewayUrl);
    await follow(platform.gatewayUrl, fan, owner);
    await likePost(platform.gatewayUrl, fan, post.id);
    const query = `query ($username: String!) {
      user(username: $username) { username email isFollowedByViewer followersCount posts(first: 5) { nodes { id likedByViewer likesCount } } }
    }`;
    const answer = (token: string | undefined) =>
      graphql(platform.gatewayUrl, query, { username: owner.username }, token === undefined ? {} : { token });

    const asFan = await answer(fan.token);
    const asStranger = await answer(stranger.token);
    const asOwner = await answer(owner.token);
    const asFanAgain = await answer(fan.token);

    const profile = (email: string | null, followed: boolean, liked: boolean) => ({
      user: {
        username: owner.username,
        email,
        isFollowedByViewer: followed,
        followersCount: 1,
        posts: { nodes: [{ id: post.id, likedByViewer: liked, likesCount: 1 }] },
      },
    });
    expect(asFan.data).toEqual(profile(null, true, true));
    expect(asStranger.data).toEqual(profile(null, false, false));
    expect(asOwner.data).toEqual(profile(owner.email, false, false));
    expect(asFanAgain.data).toEqual(profile(null, true, true));
  });
});

describe('invalidation', () => {
  it('happens before the mutation is answered: the very next query reads the write', async () => {
    const author = await registerUser(platform.gatewayUrl);
    const liker = await registerUser(platform.gatewayUrl);
    const post = await createPost(platform.gatewayUrl, author, 'about to be liked');
    const query = 'query ($id: ID!) { post(id: $id) { likesCount author { postsCount } } }';
    await graphql(platform.gatewayUrl, query, { id: post.id });
    expect((await graphql(platform.gatewayUrl, query, { id: post.id })).data).toEqual({
      post: { likesCount: 0, author: { postsCount: 1 } },
    });

    await likePost(platform.gatewayUrl, liker, post.id);
    expect((await graphql(platform.gatewayUrl, query, { id: post.id })).data).toEqual({
      post: { likesCount: 1, author: { postsCount: 1 } },
    });
    // The author's postsCount is an entity entry (User in posts) that createPost touches.
    await createPost(platform.gatewayUrl, author, 'a second one');
    expect((await graphql(platform.gatewayUrl, query, { id: post.id })).data).toEqual({
      post: { likesCount: 1, author: { postsCount: 2 } },
    });
  });
});

describe.runIf(usingRealPostgres && process.env.REDIS_URL)('two gateway instances on one Redis', () => {
  const second = usePlatform({ RESPONSE_CACHE_ENABLED: 'false' }, { shareDatabaseWith: platform });

  it('share entries, and an invalidation by one reaches the other, in-process layer included', async () => {
    const author = await registerUser(platform.gatewayUrl);
    const liker = await registerUser(platform.gatewayUrl);
    const post = await createPost(platform.gatewayUrl, author, 'two gateways, one cache');
    const query = 'query ($id: ID!) { post(id: $id) { likesCount author { username } } }';

    await graphql(platform.gatewayUrl, query, { id: post.id });
    // The second instance finds the entries the first stored, then keeps them in its own memory.
    for (let round = 0; round < 2; round += 1) {
      const before = await counters(second);
      const shared = await graphql(second.gatewayUrl, query, { id: post.id });
      const after = await counters(second);
      expect(shared.data).toEqual({ post: { likesCount: 0, author: { username: author.username } } });
      expect(grew(before, after)).toMatchObject({ posts: { requests: 0, hits: 1 }, users: { requests: 0, hits: 1 } });
    }

    await likePost(platform.gatewayUrl, liker, post.id);
    const onSecond = await graphql(second.gatewayUrl, query, { id: post.id });
    expect(onSecond.data).toEqual({ post: { likesCount: 1, author: { username: author.username } } });
  });
});

describe('an entity cache whose Redis hangs', () => {
  it('answers every query from the subgraphs, as misses, and writes still work', async () => {
    // Accepts connections and never answers: the cache client must not wait for it.
    const sockets: Socket[] = [];
    const blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const redisUrl = `redis://127.0.0.1:${(blackHole.address() as { port: number }).port}`;
    const settings = gatewaySettingsFrom(platform.config);
    const gateway = await createGateway({
      ...settings,
      responseCache: { ...settings.responseCache, enabled: false, redisUrl, namespace: 'unused' },
      entityCache: { ...settings.entityCache, enabled: true },
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
      for (const expected of [0, 0, 1]) {
        if (expected === 1) await likePost(hungUrl, author, post.id);
        const response = await graphql(hungUrl, POST, { id: post.id });
        expect(response.errors).toBeUndefined();
        expect(response.data).toMatchObject({ post: { content: 'cache down', likesCount: expected } });
      }
      const metrics = await (await fetch(`${server.origin}/metrics`)).text();
      expect(sample(metrics, 'gateway_entity_cache_lookups_total', { outcome: 'hit' })).toBe(0);
      expect(sample(metrics, 'gateway_entity_cache_lookups_total', { outcome: 'miss' })).toBeGreaterThanOrEqual(6);
      expect(sample(metrics, 'gateway_entity_cache_errors_total', { operation: 'lookup' })).toBeGreaterThan(0);
    } finally {
      await server.close();
      await gateway.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });
});
