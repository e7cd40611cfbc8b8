import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPost } from './support/actions.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const LIKE = 'mutation ($id: ID!) { likePost(id: $id) { id likesCount likedByViewer } }';
const UNLIKE = 'mutation ($id: ID!) { unlikePost(id: $id) { id likesCount likedByViewer } }';
const READ = 'query ($id: ID!) { post(id: $id) { likesCount likedByViewer } }';

async function likeRows(postId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from posts.likes where post_id = ${postId}`.execute(
    platform.database.kysely,
  );
  return rows[0]?.n ?? -1;
}

describe('likePost and unlikePost', () => {
  it('are idempotent and report the viewer’s own state', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const post = await createPost(url, ada, 'like me');
    for (let i = 0; i < 2; i += 1) {
      const liked = await graphql(url, LIKE, { id: post.id }, { token: bob.token });
      expect(liked.data.likePost).toEqual({ id: post.id, likesCount: 1, likedByViewer: true });
    }
    expect((await graphql(url, READ, { id: post.id }, { token: ada.token })).data.post).toEqual({
      likesCount: 1,
      likedByViewer: false,
    });
    expect((await graphql(url, READ, { id: post.id })).data.post).toEqual({ likesCount: 1, likedByViewer: false });
    for (let i = 0; i < 2; i += 1) {
      const unliked = await graphql(url, UNLIKE, { id: post.id }, { token: bob.token });
      expect(unliked.data.unlikePost).toEqual({ id: post.id, likesCount: 0, likedByViewer: false });
    }
    expect(await likeRows(post.id)).toBe(0);
  });

  it('keeps likesCount exact under 50 concurrent likes and unlikes by different users', async () => {
    const author = await registerUser(url);
    const post = await createPost(url, author, 'popular');
    const fans: TestUser[] = await Promise.all(Array.from({ length: 50 }, () => registerUser(url)));

    // Every fan likes twice at once: 100 concurrent mutations, 50 distinct likes.
    await Promise.all(
      fans.flatMap((fan) => [
        graphql(url, LIKE, { id: post.id }, { token: fan.token }),
        graphql(url, LIKE, { id: post.id }, { token: fan.token }),
      ]),
    );
    expect((await graphql(url, READ, { id: post.id })).data.post.likesCount).toBe(50);

    // Half unlike while the other half like again, all at once.
    await Promise.all(fans.map((fan, i) => graphql(url, i % 2 === 0 ? UNLIKE : LIKE, { id: post.id }, { token: fan.token })));
    expect((await graphql(url, READ, { id: post.id })).data.post.likesCount).toBe(25);
    expect(await likeRows(post.id)).toBe(25);
  });

  it('answers NOT_FOUND for an unknown post and UNAUTHENTICATED anonymously', async () => {
    const ada = await registerUser(url);
    expect(errorCodes(await graphql(url, LIKE, { id: '00000000-0000-4000-8000-000000000000' }, { token: ada.token }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(errorCodes(await graphql(url, UNLIKE, { id: 'bad' }, { token: ada.token }))).toEqual(['NOT_FOUND']);
    const post = await createPost(url, ada, 'x');
    expect(errorCodes(await graphql(url, LIKE, { id: post.id }))).toEqual(['UNAUTHENTICATED']);
  });
});
