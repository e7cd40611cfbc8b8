import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signContent } from '../lib/kernel/request-signature.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let user: TestUser;
beforeAll(async () => {
  user = await registerUser(platform.gatewayUrl);
});

/**
 * `followers` nested `levels` deep (depth 2 × levels + 2: within the depth limit up to 5), its
 * page size in $n. graphql-armor's cost multiplies literal `first`s only, so these pass it.
 */
const nestedFollowers = (levels: number, first = 'first: $n') =>
  `query ${first.includes('$n') ? '($n: Int) ' : ''}{ me { ${`followers(${first}) { nodes { `.repeat(levels)}id${' } }'.repeat(levels)} } }`;

describe('the work of one operation is bounded by its page sizes', () => {
  it('refuses default pages (20) nested four deep (160,000 users) with OPERATION_TOO_COMPLEX', async () => {
    const response = await graphql(platform.gatewayUrl, nestedFollowers(4, 'after: null'), {}, { token: user.token });
    expect(errorCodes(response)).toEqual(['OPERATION_TOO_COMPLEX']);
    expect(response.errors?.[0]?.message).toMatch(/limit is 50000/);
    expect(response.data ?? undefined).toBeUndefined();
  });

  it('counts page sizes given in variables', async () => {
    const query = nestedFollowers(3);
    const small = await graphql(platform.gatewayUrl, query, { n: 5 }, { token: user.token });
    expect(small.errors).toBeUndefined();
    const large = await graphql(platform.gatewayUrl, query, { n: 100 }, { token: user.token });
    expect(errorCodes(large)).toEqual(['OPERATION_TOO_COMPLEX']);
  });

  it('lets two nested pages of 100 through (a conversation list with its messages)', async () => {
    const response = await graphql(
      platform.gatewayUrl,
      'query ($n: Int) { conversations(first: $n) { nodes { id messages(first: $n) { nodes { id sender { id } } } } } }',
      { n: 100 },
      { token: user.token },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data.conversations.nodes).toEqual([]);
  });

  it('refuses the same on a subgraph called with a valid signature', async () => {
    const body = JSON.stringify({ query: nestedFollowers(3), variables: { n: 100 } });
    const response = await fetch(platform.subgraphs.users.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${user.token}`,
        [SIGNATURE_HEADER]: signContent(platform.config.subgraphSigning.secret, body),
      },
      body,
    });
    const result = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['OPERATION_TOO_COMPLEX']);
  });
});
