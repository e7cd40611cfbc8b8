import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';
import { signedFor } from './support/signed-subgraph.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const FOLLOW = 'mutation ($id: ID!) { follow(userId: $id) { id followersCount isFollowedByViewer } }';
const UNFOLLOW = 'mutation ($id: ID!) { unfollow(userId: $id) { id followersCount isFollowedByViewer } }';
const COUNTS = 'query ($id: ID) { user(id: $id) { followersCount followingCount isFollowedByViewer } }';

async function follow(follower: TestUser, followee: TestUser) {
  const response = await graphql(url, FOLLOW, { id: followee.id }, { token: follower.token });
  expect(response.errors).toBeUndefined();
  return response.data.follow;
}

describe('follow and unfollow', () => {
  it('follow returns the followed user with fresh counts and follow state, and is idempotent', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    expect(await follow(ada, bob)).toEqual({ id: bob.id, followersCount: 1, isFollowedByViewer: true });
    expect(await follow(ada, bob)).toEqual({ id: bob.id, followersCount: 1, isFollowedByViewer: true });

    const asAda = await graphql(url, COUNTS, { id: bob.id }, { token: ada.token });
    expect(asAda.data.user).toEqual({ followersCount: 1, followingCount: 0, isFollowedByViewer: true });
    const adaCounts = await graphql(url, COUNTS, { id: ada.id }, { token: bob.token });
    expect(adaCounts.data.user).toEqual({ followersCount: 0, followingCount: 1, isFollowedByViewer: false });
  });

  it('unfollow removes the edge and is idempotent', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    await follow(ada, bob);
    for (let i = 0; i < 2; i += 1) {
      const response = await graphql(url, UNFOLLOW, { id: bob.id }, { token: ada.token });
      expect(response.data.unfollow).toEqual({ id: bob.id, followersCount: 0, isFollowedByViewer: false });
    }
  });

  it('keeps the count exact under concurrent follows of one user', async () => {
    const star = await registerUser(url);
    const fans = await Promise.all(Array.from({ length: 12 }, () => registerUser(url)));
    await Promise.all(fans.flatMap((fan) => [follow(fan, star), follow(fan, star)]));
    const response = await graphql(url, COUNTS, { id: star.id });
    expect(response.data.user.followersCount).toBe(12);
  });

  it('isFollowedByViewer is false for anonymous viewers', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    await follow(ada, bob);
    const response = await graphql(url, COUNTS, { id: bob.id });
    expect(response.data.user).toEqual({ followersCount: 1, followingCount: 0, isFollowedByViewer: false });
  });

  it('rejects following yourself, unknown users and anonymous viewers', async () => {
    const ada = await registerUser(url);
    expect(errorCodes(await graphql(url, FOLLOW, { id: ada.id }, { token: ada.token }))).toEqual(['BAD_USER_INPUT']);
    const unknown = await graphql(url, FOLLOW, { id: '00000000-0000-4000-8000-000000000000' }, { token: ada.token });
    expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
    expect(errorCodes(await graphql(url, UNFOLLOW, { id: 'garbage' }, { token: ada.token }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await graphql(url, FOLLOW, { id: ada.id }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('followers and following connections', () => {
  const PAGE = /* GraphQL */ `
    query ($id: ID, $first: Int, $after: String) {
      user(id: $id) {
        followers(first: $first, after: $after) {
          edges { cursor node { id } }
          nodes { id username }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  `;

  it('pages through followers newest first with stable cursors', async () => {
    const star = await registerUser(url);
    const fans: TestUser[] = [];
    for (let i = 0; i < 5; i += 1) {
      const fan = await registerUser(url);
      await follow(fan, star);
      fans.push(fan);
    }
    const newestFirst = fans.map((fan) => fan.id).reverse();

    const first = await graphql(url, PAGE, { id: star.id, first: 2 });
    const page1 = first.data.user.followers;
    expect(page1.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(0, 2));
    expect(page1.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(newestFirst.slice(0, 2));
    expect(page1.pageInfo).toEqual({ hasNextPage: true, endCursor: page1.edges[1].cursor });

    // A new follower arriving between pages must not shift the next page (keyset, not OFFSET).
    await follow(await registerUser(url), star);

    const second = await graphql(url, PAGE, { id: star.id, first: 2, after: page1.pageInfo.endCursor });
    expect(second.data.user.followers.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(2, 4));
    const third = await graphql(url, PAGE, { id: star.id, first: 2, after: second.data.user.followers.pageInfo.endCursor });
    expect(third.data.user.followers.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst.slice(4));
    expect(third.data.user.followers.pageInfo.hasNextPage).toBe(false);
  });

  it('lists following with usernames, and an empty connection for nobody', async () => {
    const [ada, bob, cy] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    await follow(ada, bob);
    await follow(ada, cy);
    const response = await graphql(
      url,
      'query ($id: ID) { user(id: $id) { following { nodes { username } pageInfo { hasNextPage endCursor } } followers { nodes { id } pageInfo { hasNextPage endCursor } } } }',
      { id: ada.id },
    );
    expect(response.data.user.following.nodes).toEqual([{ username: cy.username }, { username: bob.username }]);
    expect(response.data.user.followers).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('rejects a malformed cursor and an out-of-range first', async () => {
    const ada = await registerUser(url);
    const badCursor = await graphql(url, PAGE, { id: ada.id, after: 'bm90IGEgY3Vyc29y' });
    expect(errorCodes(badCursor)).toEqual(['BAD_USER_INPUT']);
    expect(badCursor.errors?.[0]?.extensions?.field).toBe('after');
    for (const first of [-1, 101]) {
      const response = await graphql(url, PAGE, { id: ada.id, first });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.field).toBe('first');
    }
  });
});

describe('batching', () => {
  it('resolves 20 users with their follower counts in at most 2 SQL statements', async () => {
    const university = `Batch University ${Date.now()}`;
    const users = await Promise.all(Array.from({ length: 20 }, () => registerUser(url, { university })));
    await follow(users[1] as TestUser, users[0] as TestUser);

    // Through the gateway: one search page of 20 users, each with counts.
    const stats = platform.subgraphs.users.queryStats;
    const before = stats.statements;
    const response = await graphql(
      url,
      'query ($u: String) { searchUsers(query: "u_", university: $u, first: 20) { nodes { id followersCount followingCount } } }',
      { u: university },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data.searchUsers.nodes).toHaveLength(20);
    expect(stats.statements - before).toBeLessThanOrEqual(2);

    // The federation path: 20 references in one _entities call, as the gateway sends them.
    const entitiesBefore = stats.statements;
    const entitiesQuery = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id followersCount } } }';
    const representations = { r: users.map((user) => ({ __typename: 'User', id: user.id })) };
    const entities = await graphql(platform.subgraphs.users.url, entitiesQuery, representations, {
      headers: signedFor(platform, entitiesQuery, representations),
    });
    expect(entities.errors).toBeUndefined();
    expect(entities.data._entities.map((u: { id: string }) => u.id)).toEqual(users.map((u) => u.id));
    expect(entities.data._entities[0].followersCount).toBe(1);
    expect(stats.statements - entitiesBefore).toBe(2);
  });
});
