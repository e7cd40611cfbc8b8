import { CompiledQuery, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExecutedQuery } from '../lib/infra/db/database.js';
import { createPost, follow, likePost } from './support/actions.js';
import { errorCodes, type GraphQLResponse, graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const FEED = /* GraphQL */ `
  query ($first: Int, $after: String) {
    feed(first: $first, after: $after) {
      nodes { id content author { username university } likesCount likedByViewer }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

function ids(response: GraphQLResponse<{ feed: { nodes: { id: string }[] } }>): string[] {
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.feed.nodes.map((node) => node.id);
}

describe('feed', () => {
  it('shows the viewer’s posts and those of followed users, newest first, nobody else’s', async () => {
    const [viewer, friend, stranger] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    await follow(url, viewer, friend);
    const own = await createPost(url, viewer, 'mine');
    const strangers = await createPost(url, stranger, 'not followed');
    const friends = await createPost(url, friend, 'from a friend');
    const response = await graphql(url, FEED, {}, { token: viewer.token });
    expect(ids(response)).toEqual([friends.id, own.id]);
    expect(ids(response)).not.toContain(strangers.id);
    expect(response.data.feed.nodes[0].author.username).toBe(friend.username);

    await graphql(url, 'mutation ($id: ID!) { unfollow(userId: $id) { id } }', { id: friend.id }, { token: viewer.token });
    expect(ids(await graphql(url, FEED, {}, { token: viewer.token }))).toEqual([own.id]);
  });

  it('pages with a keyset cursor: posts published between pages do not shift the next page', async () => {
    const [viewer, friend] = await Promise.all([registerUser(url), registerUser(url)]);
    await follow(url, viewer, friend);
    const posts = [];
    for (let i = 0; i < 5; i += 1) posts.push(await createPost(url, i % 2 ? viewer : friend, `p${i}`));
    const newestFirst = posts.map((p) => p.id).reverse();
    const page1 = await graphql(url, FEED, { first: 2 }, { token: viewer.token });
    expect(ids(page1)).toEqual(newestFirst.slice(0, 2));
    await createPost(url, friend, 'arrives in between');
    const page2 = await graphql(url, FEED, { first: 2, after: page1.data.feed.pageInfo.endCursor }, { token: viewer.token });
    expect(ids(page2)).toEqual(newestFirst.slice(2, 4));
    const page3 = await graphql(url, FEED, { first: 2, after: page2.data.feed.pageInfo.endCursor }, { token: viewer.token });
    expect(ids(page3)).toEqual(newestFirst.slice(4));
    expect(page3.data.feed.pageInfo.hasNextPage).toBe(false);
  });

  it('needs a signed-in viewer', async () => {
    expect(errorCodes(await graphql(url, FEED))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('feed batching', () => {
  it('costs one users-subgraph request and at most 4 posts statements for 20 posts with authors, likes and likedByViewer', async () => {
    const viewer = await registerUser(url);
    const authors: TestUser[] = await Promise.all(Array.from({ length: 5 }, () => registerUser(url, { university: 'METU' })));
    for (const author of authors) await follow(url, viewer, author);
    const created = [];
    for (let i = 0; i < 20; i += 1) created.push(await createPost(url, authors[i % 5] as TestUser, `batched ${i}`));
    await likePost(url, viewer, created[3]?.id as string);

    const usersRequests = () => platform.gateway.subgraphRequests.get('users') ?? 0;
    const postsStats = platform.subgraphs.posts.queryStats;
    const [requestsBefore, statementsBefore] = [usersRequests(), postsStats.statements];
    const response = await graphql(url, FEED, { first: 20 }, { token: viewer.token });
    expect(response.errors).toBeUndefined();
    expect(response.data.feed.nodes).toHaveLength(20);
    expect(response.data.feed.nodes.every((n: { author: { university: string } }) => n.author.university === 'METU')).toBe(true);
    expect(response.data.feed.nodes.filter((n: { likedByViewer: boolean }) => n.likedByViewer)).toHaveLength(1);
    expect(usersRequests() - requestsBefore).toBe(1);
    expect(postsStats.statements - statementsBefore).toBeLessThanOrEqual(4);
  });
});

describe('indexes', () => {
  /** Captures the SQL a GraphQL operation runs, then EXPLAINs it with sequential scans discouraged. */
  async function planOf(operation: () => Promise<unknown>, pick: (sqlText: string) => boolean): Promise<string> {
    const captured: ExecutedQuery[] = [];
    const stop = platform.database.onQuery((query) => captured.push(query));
    try {
      await operation();
    } finally {
      stop();
    }
    const statement = captured.find((q) => pick(q.query.sql));
    if (statement === undefined) throw new Error('statement not captured');
    return platform.database.kysely.transaction().execute(async (trx) => {
      // A small test table is cheaper to scan than to index; this asks whether the index can
      // serve the query at all, which is what a large table needs.
      await sql`set local enable_seqscan = off`.execute(trx);
      const result = await trx.executeQuery<Record<string, string>>(
        CompiledQuery.raw(`explain ${statement.query.sql}`, [...statement.query.parameters]),
      );
      return result.rows.map((row) => Object.values(row)[0]).join('\n');
    });
  }

  it('the feed reads posts through posts_author_created_idx', async () => {
    const viewer = await registerUser(url);
    const plan = await planOf(
      () => graphql(url, FEED, {}, { token: viewer.token }),
      (text) => text.includes('follow_edges'),
    );
    expect(plan).toContain('posts_author_created_idx');
  });

  it('search reads post_search through its indexes (newest first, or the GIN index for rare words)', async () => {
    const plan = await planOf(
      () => graphql(url, 'query { searchPosts(query: "campus") { nodes { id } } }'),
      (text) => text.includes('websearch_to_tsquery'),
    );
    expect(plan).toMatch(/post_search_(created|search)_idx/);
  });

  it('postsByHashtag reads post_hashtags_tag_created_idx', async () => {
    const plan = await planOf(
      () => graphql(url, 'query { postsByHashtag(tag: "campus") { nodes { id } } }'),
      (text) => text.includes('post_hashtags'),
    );
    expect(plan).toContain('post_hashtags_tag_created_idx');
  });
});
