import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPost, likePost } from './support/actions.js';
import { errorCodes, graphql, registerUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const CREATE = /* GraphQL */ `
  mutation ($c: String!) {
    createPost(content: $c) { id content hashtags likesCount likedByViewer createdAt author { id username university } }
  }
`;
const DELETE = 'mutation ($id: ID!) { deletePost(id: $id) }';
const POST = 'query ($id: ID!) { post(id: $id) { id content author { username } } }';

describe('createPost', () => {
  it('publishes trimmed content with its author resolved by the users subgraph', async () => {
    const ada = await registerUser(url, { university: 'Nazarbayev University' });
    const response = await graphql(url, CREATE, { c: '   Hello campus!  ' }, { token: ada.token });
    expect(response.errors).toBeUndefined();
    const post = response.data.createPost;
    expect(post).toMatchObject({
      content: 'Hello campus!',
      hashtags: [],
      likesCount: 0,
      likedByViewer: false,
      author: { id: ada.id, username: ada.username, university: 'Nazarbayev University' },
    });
    expect(Date.now() - new Date(post.createdAt).getTime()).toBeLessThan(60_000);
    const read = await graphql(url, POST, { id: post.id });
    expect(read.data.post).toEqual({ id: post.id, content: 'Hello campus!', author: { username: ada.username } });
  });

  it('extracts hashtags: Unicode letters, lower-cased, de-duplicated, in order of first use', async () => {
    const ada = await registerUser(url);
    const post = await createPost(
      url,
      ada,
      '#Университет и #Öğrenci, #öğrenci again. #study_group #2026fall C# a#b #123 #Study_Group',
    );
    expect(post.hashtags).toEqual(['университет', 'öğrenci', 'study_group', '2026fall']);
  });

  it.each([
    ['empty', ''],
    ['only whitespace', ' \n\t '],
    ['2001 characters', 'x'.repeat(2001)],
  ])('rejects %s content with BAD_USER_INPUT', async (_label, content) => {
    const ada = await registerUser(url);
    const response = await graphql(url, CREATE, { c: content }, { token: ada.token });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe('content');
  });

  it('accepts exactly 2000 characters (after trimming)', async () => {
    const ada = await registerUser(url);
    const post = await createPost(url, ada, `  ${'é'.repeat(2000)}  `);
    expect(post.content).toHaveLength(2000);
  });

  it('needs a signed-in viewer', async () => {
    expect(errorCodes(await graphql(url, CREATE, { c: 'hi' }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('deletePost', () => {
  it('lets the author delete, after which the post, its likes and its hashtag entries are gone', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const tag = `gone${Date.now()}`;
    const post = await createPost(url, ada, `bye #${tag}`);
    await likePost(url, bob, post.id);
    const response = await graphql(url, DELETE, { id: post.id }, { token: ada.token });
    expect(response.data.deletePost).toBe(post.id);
    expect((await graphql(url, POST, { id: post.id })).data.post).toBeNull();
    const byTag = await graphql(url, 'query ($t: String!) { postsByHashtag(tag: $t) { nodes { id } } }', { t: tag });
    expect(byTag.data.postsByHashtag.nodes).toEqual([]);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from posts.likes where post_id = ${post.id}`.execute(
      platform.database.kysely,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('answers FORBIDDEN to someone else, NOT_FOUND for an unknown id, UNAUTHENTICATED anonymously', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const post = await createPost(url, ada, 'mine');
    expect(errorCodes(await graphql(url, DELETE, { id: post.id }, { token: bob.token }))).toEqual(['FORBIDDEN']);
    expect((await graphql(url, POST, { id: post.id })).data.post.id).toBe(post.id);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expect(errorCodes(await graphql(url, DELETE, { id }, { token: bob.token }))).toEqual(['NOT_FOUND']);
    }
    expect(errorCodes(await graphql(url, DELETE, { id: post.id }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('post and User.posts', () => {
  it('post(id) is null for an unknown or malformed id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'x']) {
      const response = await graphql(url, POST, { id });
      expect(response.errors).toBeUndefined();
      expect(response.data.post).toBeNull();
    }
  });

  it('lists a user’s posts newest first with postsCount, across pages', async () => {
    const ada = await registerUser(url);
    const posts = [];
    for (let i = 0; i < 3; i += 1) posts.push(await createPost(url, ada, `post ${i}`));
    const query = /* GraphQL */ `
      query ($u: String, $after: String) {
        user(username: $u) { postsCount posts(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }
      }
    `;
    const first = await graphql(url, query, { u: ada.username });
    expect(first.data.user.postsCount).toBe(3);
    expect(first.data.user.posts.nodes.map((n: { id: string }) => n.id)).toEqual([posts[2]?.id, posts[1]?.id]);
    const second = await graphql(url, query, { u: ada.username, after: first.data.user.posts.pageInfo.endCursor });
    expect(second.data.user.posts.nodes.map((n: { id: string }) => n.id)).toEqual([posts[0]?.id]);
    expect(second.data.user.posts.pageInfo.hasNextPage).toBe(false);
  });
});
