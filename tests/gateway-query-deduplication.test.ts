import { beforeAll, describe, expect, it } from 'vitest';
import { createPost, likePost } from './support/actions.js';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { sample, scrape } from './support/metrics.js';
import { usePlatform } from './support/platform.js';
import type { TcpProxy } from './support/tcp-proxy.js';
import { eventually } from './support/until.js';

// The response cache would answer the repeats itself: this is about what reaches the subgraphs.
const platform = usePlatform({ RESPONSE_CACHE_ENABLED: 'false' }, { throughProxy: ['posts'] });
let posts: TcpProxy;
let ada: TestUser;
let grace: TestUser;
let postId: string;

beforeAll(async () => {
  posts = platform.proxies.posts as TcpProxy;
  ada = await registerUser(platform.gatewayUrl, { displayName: 'Ada L.' });
  grace = await registerUser(platform.gatewayUrl);
  postId = (await createPost(platform.gatewayUrl, ada, 'dedup me')).id;
  await likePost(platform.gatewayUrl, grace, postId);
});

const postsSent = () => platform.gateway.subgraphRequests.get('posts') ?? 0;
const deduplicated = async () =>
  sample(await scrape(platform, 'gateway'), 'gateway_subgraph_requests_deduplicated_total', { subgraph: 'posts' });

/** Holds every posts fetch until the returned function is called. */
function holdPosts(): () => void {
  let resolve: () => void = () => undefined;
  posts.mode = { kind: 'hold', released: new Promise<void>((settle) => (resolve = settle)) };
  return () => {
    posts.mode = { kind: 'forward' };
    resolve();
  };
}

describe('identical subgraph queries in flight at once, through the gateway', () => {
  it('send one posts fetch for eight concurrent requests, and each request still gets its own complete answer', async () => {
    const sentBefore = postsSent();
    const sharedBefore = await deduplicated();
    const release = holdPosts();
    // Two documents that plan the same posts fetch and different users fetches after it.
    const byUsername = 'query ($id: ID!) { post(id: $id) { id content author { username } } }';
    const byName = 'query ($id: ID!) { post(id: $id) { id content likesCount author { displayName } } }';
    const answers = [
      ...Array.from({ length: 6 }, () => graphql(platform.gatewayUrl, byUsername, { id: postId })),
      ...Array.from({ length: 2 }, () => graphql(platform.gatewayUrl, byName, { id: postId })),
    ];
    await eventually(async () => postsSent() - sentBefore >= 2 && (await deduplicated()) - sharedBefore >= 6);
    release();
    const results = (await Promise.all(answers)).map(({ data, errors }) => ({ data, errors }));
    for (const result of results.slice(0, 6)) {
      expect(result).toEqual({
        data: { post: { id: postId, content: 'dedup me', author: { username: ada.username } } },
        errors: undefined,
      });
    }
    for (const result of results.slice(6)) {
      expect(result).toEqual({
        data: { post: { id: postId, content: 'dedup me', likesCount: 1, author: { displayName: 'Ada L.' } } },
        errors: undefined,
      });
    }
    // byName selects likesCount: a posts fetch of its own, shared by its two requests.
    expect(postsSent() - sentBefore).toBe(2);
    expect((await deduplicated()) - sharedBefore).toBe(6);
  });

  it('does not share a viewer-dependent fetch between two viewers', async () => {
    const sentBefore = postsSent();
    const release = holdPosts();
    const liked = 'query ($id: ID!) { post(id: $id) { id likedByViewer } }';
    const answers = [grace, ada, grace].map((viewer) =>
      graphql(platform.gatewayUrl, liked, { id: postId }, { token: viewer.token }),
    );
    // grace's two requests share one fetch; ada's goes on its own.
    await eventually(async () => postsSent() - sentBefore >= 2);
    release();
    const results = await Promise.all(answers);
    expect(results.map((r) => r.data?.post.likedByViewer)).toEqual([true, false, true]);
    expect(postsSent() - sentBefore).toBe(2);
  });

  it('never shares a mutation: two identical concurrent createPost calls create two posts', async () => {
    const sentBefore = postsSent();
    const release = holdPosts();
    const create = 'mutation { createPost(content: "twice on purpose") { id } }';
    const answers = [1, 2].map(() => graphql(platform.gatewayUrl, create, {}, { token: ada.token }));
    await eventually(async () => postsSent() - sentBefore >= 2);
    release();
    const ids = (await Promise.all(answers)).map((r) => r.data?.createPost.id);
    expect(new Set(ids).size).toBe(2);
  });
});
