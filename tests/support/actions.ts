import { graphql, type TestUser } from './graphql.js';

/** Common steps of the tests, each through the gateway and failing loudly on any error. */

async function ok<D>(promise: Promise<{ data: D | null | undefined; errors?: unknown }>): Promise<D> {
  const response = await promise;
  if (response.errors !== undefined || response.data === null || response.data === undefined) {
    throw new Error(`unexpected GraphQL errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

export async function follow(url: string, follower: TestUser, followee: TestUser): Promise<void> {
  await ok(graphql(url, 'mutation ($id: ID!) { follow(userId: $id) { id } }', { id: followee.id }, { token: follower.token }));
}

export interface CreatedPost {
  id: string;
  content: string;
  hashtags: string[];
  createdAt: string;
}

export async function createPost(url: string, author: TestUser, content: string): Promise<CreatedPost> {
  const data = await ok(
    graphql<{ createPost: CreatedPost }>(
      url,
      'mutation ($c: String!) { createPost(content: $c) { id content hashtags createdAt } }',
      { c: content },
      { token: author.token },
    ),
  );
  return data.createPost;
}

export async function likePost(url: string, user: TestUser, postId: string): Promise<{ likesCount: number }> {
  const data = await ok(
    graphql<{ likePost: { likesCount: number } }>(
      url,
      'mutation ($id: ID!) { likePost(id: $id) { likesCount } }',
      { id: postId },
      { token: user.token },
    ),
  );
  return data.likePost;
}
