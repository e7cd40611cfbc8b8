import { describe, expect, it } from 'vitest';
import { createPost, follow, likePost } from './support/actions.js';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { delta, scrape } from './support/metrics.js';
import { usePlatform } from './support/platform.js';

/**
 * A per-viewer operation whose viewer-dependent fields are leaves of entities it selects the
 * key of (the apps' PostCard: `likedByViewer`, the author's `isFollowedByViewer`) is answered
 * from one cached response for every viewer, completed with each viewer's own values by one
 * `_entities` request per subgraph (gateway/response-cache/viewer-holes.ts), through the full
 * path and the early hits alike.
 */
const platform = usePlatform();

const CARDS = `query Cards($q: String!) {
  searchPosts(query: $q, first: 5) {
    nodes { id content likedByViewer likesCount author { id username isFollowedByViewer } }
  }
}`;
/** A query sent as a GET, which the early hits leave to the full path (Yoga, the plugin). */
async function getQuery(query: string, variables: Record<string, unknown>, user: TestUser | null) {
  const target = new URL(platform.gatewayUrl);
  target.searchParams.set('query', query);
  target.searchParams.set('variables', JSON.stringify(variables));
  const response = await fetch(target, {
    headers: {
      ...(user === null ? {} : { authorization: `Bearer ${user.token}` }),
      'x-graphql-csrf': '1',
      accept: 'application/json',
    },
  });
  expect(response.status).toBe(200);
  return { headers: response.headers, ...((await response.json()) as { data: unknown; errors?: unknown }) };
}

const word = () => `hole${Math.random().toString(36).slice(2, 10)}`;
const xCache = (response: { headers: Headers }) => response.headers.get('x-cache');

interface Scene {
  q: string;
  author: TestUser;
  liker: TestUser;
  stranger: TestUser;
  liked: string;
  other: string;
}

/** Two posts of one author with a word of their own; the liker likes the first and follows the author. */
async function scene(): Promise<Scene> {
  const url = platform.gatewayUrl;
  const [author, liker, stranger] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
  const q = word();
  const liked = await createPost(url, author, `first ${q}`);
  const other = await createPost(url, author, `second ${q}`);
  await likePost(url, liker, liked.id);
  await follow(url, liker, author);
  return { q, author, liker, stranger, liked: liked.id, other: other.id };
}

/** The cards as `viewer` must see them: both posts, newest first, with that viewer's own like and follow. */
function cardsFor(s: Scene, viewer: { likes: string[]; follows: boolean }) {
  const author = { id: s.author.id, username: s.author.username, isFollowedByViewer: viewer.follows };
  const card = (id: string, content: string, likesCount: number) => ({
    id,
    content,
    likedByViewer: viewer.likes.includes(id),
    likesCount,
    author,
  });
  return {
    searchPosts: { nodes: [card(s.other, `second ${s.q}`, 0), card(s.liked, `first ${s.q}`, 1)] },
  };
}

const subgraphRequests = (before: string, after: string, subgraph: string) =>
  delta(before, after, 'gateway_subgraph_requests_total', { subgraph });

describe('a response shared by viewers', () => {
  it('is computed once and completed with each viewer’s own values, in the order of the selection', async () => {
    const s = await scene();
    const url = platform.gatewayUrl;

    const first = await graphql(url, CARDS, { q: s.q }, { token: s.liker.token });
    expect(xCache(first)).toBe('MISS');
    expect(first.data).toEqual(cardsFor(s, { likes: [s.liked], follows: true }));

    // Another viewer, through the full path: a hit, completed by one request to each subgraph
    // holding a viewer-dependent field (posts: likedByViewer, users: isFollowedByViewer).
    // The gateway checks an account exists once a minute (a users request): not within what is counted.
    await graphql(url, '{ me { id } }', {}, { token: s.stranger.token });
    const scrapes = () => Promise.all([scrape(platform, 'gateway'), scrape(platform, 'posts'), scrape(platform, 'users')]);
    const [before, postsBefore, usersBefore] = await scrapes();
    const stranger = await getQuery(CARDS, { q: s.q }, s.stranger);
    const [after, postsAfter, usersAfter] = await scrapes();
    expect(xCache(stranger)).toBe('HIT');
    expect(stranger.data).toEqual(cardsFor(s, { likes: [], follows: false }));
    expect(subgraphRequests(before, after, 'posts')).toBe(1);
    expect(subgraphRequests(before, after, 'users')).toBe(1);
    expect(subgraphRequests(before, after, 'messages')).toBe(0);
    // The entities, looked up by key, come with the viewer's likes and follows in the same statement.
    expect(delta(postsBefore, postsAfter, 'sql_statement_duration_seconds_count')).toBe(1);
    expect(delta(usersBefore, usersAfter, 'sql_statement_duration_seconds_count')).toBe(1);
    expect(delta(before, after, 'gateway_response_cache_early_hits_total')).toBe(0);

    // The same requests again, answered before Yoga: the same values for each viewer.
    const early = await scrape(platform, 'gateway');
    const strangerAgain = await graphql(url, CARDS, { q: s.q }, { token: s.stranger.token });
    const likerAgain = await graphql(url, CARDS, { q: s.q }, { token: s.liker.token });
    const late = await scrape(platform, 'gateway');
    expect(delta(early, late, 'gateway_response_cache_early_hits_total')).toBe(2);
    for (const response of [strangerAgain, likerAgain]) expect(xCache(response)).toBe('HIT');
    expect(strangerAgain.data).toEqual(cardsFor(s, { likes: [], follows: false }));
    // Byte for byte what the full execution answered the liker: the filled fields keep their place.
    expect(JSON.stringify(likerAgain.data)).toBe(JSON.stringify(first.data));
  });

  it('is one complete response for every anonymous request: a hit asks no subgraph', async () => {
    const s = await scene();
    const url = platform.gatewayUrl;
    await graphql(url, CARDS, { q: s.q }, { token: s.liker.token });
    // Anonymous requests see the same values: they share a response of their own, not the holes.
    const first = await graphql(url, CARDS, { q: s.q });
    expect(xCache(first)).toBe('MISS');
    expect(first.data).toEqual(cardsFor(s, { likes: [], follows: false }));

    const before = await scrape(platform, 'gateway');
    const fullPath = await getQuery(CARDS, { q: s.q }, null);
    const early = await graphql(url, CARDS, { q: s.q });
    const after = await scrape(platform, 'gateway');
    for (const response of [fullPath, early]) {
      expect(xCache(response)).toBe('HIT');
      expect(JSON.stringify(response.data)).toBe(JSON.stringify(first.data));
    }
    for (const subgraph of ['users', 'posts', 'messages']) expect(subgraphRequests(before, after, subgraph)).toBe(0);
    expect(delta(before, after, 'gateway_response_cache_early_hits_total')).toBe(1);

    // A signed-in viewer still gets their own values, and a like reaches the anonymous response too.
    const liker = await graphql(url, CARDS, { q: s.q }, { token: s.liker.token });
    expect(liker.data).toEqual(cardsFor(s, { likes: [s.liked], follows: true }));
    await likePost(url, s.stranger, s.other);
    const anonymous = await graphql(url, CARDS, { q: s.q });
    expect(anonymous.data.searchPosts.nodes.map((n: { likesCount: number }) => n.likesCount)).toEqual([1, 1]);
    expect(anonymous.data.searchPosts.nodes.map((n: { likedByViewer: boolean }) => n.likedByViewer)).toEqual([false, false]);
  });

  it('shows a viewer’s like at once to that viewer, and to nobody else', async () => {
    const s = await scene();
    const url = platform.gatewayUrl;
    await graphql(url, CARDS, { q: s.q }, { token: s.liker.token });
    await likePost(url, s.stranger, s.other);

    const stranger = await graphql(url, CARDS, { q: s.q }, { token: s.stranger.token });
    const liker = await graphql(url, CARDS, { q: s.q }, { token: s.liker.token });
    const counts = { ...cardsFor(s, { likes: [s.other], follows: false }) };
    counts.searchPosts.nodes[0] = { ...(counts.searchPosts.nodes[0] as (typeof counts.searchPosts.nodes)[0]), likesCount: 1 };
    expect(stranger.data).toEqual(counts);
    expect(liker.data.searchPosts.nodes.map((n: { likedByViewer: boolean }) => n.likedByViewer)).toEqual([false, true]);
    expect(xCache(liker)).toBe('HIT');
  });
});

describe('an operation that cannot share its response', () => {
  it('stays per viewer: a viewer-dependent field without its entity’s key, or under a condition', async () => {
    const s = await scene();
    const url = platform.gatewayUrl;
    const withoutKey = 'query ($q: String!) { searchPosts(query: $q, first: 5) { nodes { content likedByViewer } } }';
    const conditional =
      'query ($q: String!, $c: Boolean!) { searchPosts(query: $q, first: 5) { nodes { id likedByViewer @include(if: $c) } } }';
    for (const [query, variables] of [
      [withoutKey, { q: s.q }],
      [conditional, { q: s.q, c: true }],
    ] as const) {
      const liker = await graphql(url, query, variables, { token: s.liker.token });
      const stranger = await graphql(url, query, variables, { token: s.stranger.token });
      expect(xCache(liker)).toBe('MISS');
      expect(xCache(stranger)).toBe('MISS');
      expect(liker.data.searchPosts.nodes.map((n: { likedByViewer: boolean }) => n.likedByViewer)).toEqual([false, true]);
      expect(stranger.data.searchPosts.nodes.map((n: { likedByViewer: boolean }) => n.likedByViewer)).toEqual([false, false]);
    }
  });
});
