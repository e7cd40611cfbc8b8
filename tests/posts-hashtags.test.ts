import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPost } from './support/actions.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

// Trending is global to the database: this file has a platform (and database) of its own.
const platform = usePlatform({ TRENDING_TTL_SECONDS: '2' });
let url: string;
let author: TestUser;

beforeAll(async () => {
  url = platform.gatewayUrl;
  author = await registerUser(url);
});

const BY_TAG =
  'query ($t: String!, $first: Int, $after: String) { postsByHashtag(tag: $t, first: $first, after: $after) { nodes { id hashtags } pageInfo { hasNextPage endCursor } } }';
const TRENDING = 'query ($limit: Int) { trendingHashtags(limit: $limit) { tag postsCount } }';

describe('postsByHashtag', () => {
  it('finds posts by tag with or without #, in any case, newest first, paginated', async () => {
    const first = await createPost(url, author, 'Kayıt haftası #Öğrenci');
    const second = await createPost(url, author, 'Kütüphane #öğrenci #kütüphane');
    const third = await createPost(url, author, 'Yine #ÖĞRENCI');
    const response = await graphql(url, BY_TAG, { t: '#Öğrenci', first: 2 });
    const page = response.data.postsByHashtag;
    expect(page.nodes.map((n: { id: string }) => n.id)).toEqual([third.id, second.id]);
    expect(page.nodes[1].hashtags).toEqual(['öğrenci', 'kütüphane']);
    const next = await graphql(url, BY_TAG, { t: 'öğrenci', after: page.pageInfo.endCursor });
    expect(next.data.postsByHashtag.nodes.map((n: { id: string }) => n.id)).toEqual([first.id]);
  });

  it('rejects an empty tag', async () => {
    expect(errorCodes(await graphql(url, BY_TAG, { t: '#' }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('trendingHashtags', () => {
  it('counts posts of the last 24 hours per tag, most first, ties by tag, and caches briefly', async () => {
    for (const content of ['#exam #zebra', '#exam #apple', '#exam #apple', '#zebra']) await createPost(url, author, content);
    // A post from two days ago does not count.
    const old = await createPost(url, author, '#ancient #exam');
    await sql`update posts.post_hashtags set created_at = now() - interval '2 days' where post_id = ${old.id}`.execute(
      platform.database.kysely,
    );

    const response = await graphql(url, TRENDING, { limit: 10 });
    const trends = response.data.trendingHashtags.filter((t: { tag: string }) =>
      ['exam', 'apple', 'zebra', 'ancient'].includes(t.tag),
    );
    expect(response.data.trendingHashtags[0]).toEqual({ tag: 'exam', postsCount: 3 });
    expect(trends).toEqual([
      { tag: 'exam', postsCount: 3 },
      { tag: 'apple', postsCount: 2 },
      { tag: 'zebra', postsCount: 2 },
    ]);

    // Within the TTL the cached answer is served; after it, the new post counts.
    await createPost(url, author, '#zebra #zebra');
    expect((await graphql(url, TRENDING, { limit: 10 })).data.trendingHashtags).toEqual(response.data.trendingHashtags);
    // The TTL is what is tested: only time makes its 2 s run out.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const fresh = await graphql(url, TRENDING, { limit: 10 });
    expect(fresh.data.trendingHashtags).toContainEqual({ tag: 'zebra', postsCount: 3 });
  });

  it('defaults to 10 and rejects a limit outside 1-50', async () => {
    expect((await graphql(url, '{ trendingHashtags { tag } }')).errors).toBeUndefined();
    for (const limit of [0, 51]) {
      const response = await graphql(url, TRENDING, { limit });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.field).toBe('limit');
    }
  });
});
