import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, type GraphQLResponse, graphql, registerUser, uniqueName } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const SEARCH = /* GraphQL */ `
  query ($q: String!, $u: String, $first: Int, $after: String) {
    searchUsers(query: $q, university: $u, first: $first, after: $after) {
      nodes { username displayName university }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

describe('searchUsers', () => {
  it('matches a username or display-name prefix, case-insensitively, ordered by username', async () => {
    const tag = uniqueName('s').slice(2);
    const zed = await registerUser(url, { username: `zz${tag}`, displayName: `Kemal ${tag}` });
    const kem = await registerUser(url, { username: `kem${tag}`, displayName: 'Someone Else' });
    await registerUser(url, { username: `other${tag}`, displayName: `Not Kemal` });

    const response = await graphql(url, SEARCH, { q: 'KEM' });
    const names = response.data.searchUsers.nodes.map((n: { username: string }) => n.username);
    expect(names).toContain(kem.username);
    expect(names).toContain(zed.username);
    expect(names).not.toContain(`other${tag}`);
    expect([...names].sort()).toEqual(names);
  });

  it('filters by university (case-insensitive) and pages with a keyset cursor', async () => {
    const university = `Uni ${uniqueName()}`;
    const prefix = `p${uniqueName('').slice(1, 7)}`;
    const created = [];
    for (let i = 0; i < 5; i += 1) created.push(await registerUser(url, { username: `${prefix}_${i}`, university }));
    await registerUser(url, { username: `${prefix}_elsewhere`, university: 'Elsewhere' });

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page += 1) {
      const response: GraphQLResponse<{
        searchUsers: { nodes: { username: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      }> = await graphql(url, SEARCH, { q: prefix, u: university.toUpperCase(), first: 2, after });
      expect(response.errors).toBeUndefined();
      const result = response.data?.searchUsers;
      if (result === undefined) throw new Error(JSON.stringify(response.errors));
      seen.push(...result.nodes.map((n) => n.username));
      after = result.pageInfo.endCursor;
      expect(result.pageInfo.hasNextPage).toBe(page < 2);
    }
    expect(seen).toEqual(created.map((user) => user.username));
  });

  it('treats LIKE wildcards in the query literally', async () => {
    const response = await graphql(url, SEARCH, { q: '%' });
    expect(response.errors).toBeUndefined();
    expect(response.data.searchUsers.nodes).toEqual([]);
  });

  it('rejects an empty query', async () => {
    const response = await graphql(url, SEARCH, { q: '   ' });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe('query');
  });
});
