import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { describe, expect, it } from 'vitest';
import { batchEntityFetches } from '../../gateway/entity-fetch-batching.js';

const ENTITIES =
  'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { username } } }';

/** A subgraph that answers each representation with its user, fails the ones named "bad", and records requests. */
function fakeUsers(options: { fail?: boolean } = {}) {
  const requests: Array<Record<string, unknown>> = [];
  const source: GraphQLDataSource = {
    async process({ request }) {
      requests.push(request.variables ?? {});
      if (options.fail) throw new Error('subgraph down');
      const representations = (request.variables?.representations ?? []) as Array<{ id: string }>;
      const response: GatewayGraphQLResponse = {
        data: { _entities: representations.map(({ id }) => (id === 'bad' ? null : { username: `user-${id}` })) },
      };
      const errors = representations.flatMap(({ id }, index) =>
        id === 'bad' ? [{ message: 'No such user', path: ['_entities', index, 'username'] }] : [],
      );
      return errors.length > 0 ? { ...response, errors } : response;
    },
  };
  return { source, requests };
}

const fetchOf = (ids: string[], extra: Record<string, unknown> = {}) =>
  ({
    request: { query: ENTITIES, variables: { representations: ids.map((id) => ({ __typename: 'User', id })), ...extra } },
    context: {},
  }) as unknown as GraphQLDataSourceProcessOptions;

describe('batchEntityFetches', () => {
  it('sends the entity fetches of one turn as one request and gives each its own entities and errors', async () => {
    const users = fakeUsers();
    const batched = batchEntityFetches(users.source);
    const [first, second, third] = await Promise.all([
      batched.process(fetchOf(['1', '2'])),
      batched.process(fetchOf(['bad'])),
      batched.process(fetchOf(['3'])),
    ]);
    expect(users.requests).toHaveLength(1);
    expect(users.requests[0]?.representations).toHaveLength(4);
    expect(first).toEqual({ data: { _entities: [{ username: 'user-1' }, { username: 'user-2' }] } });
    expect(second).toEqual({
      data: { _entities: [null] },
      errors: [{ message: 'No such user', path: ['_entities', 0, 'username'] }],
    });
    expect(third).toEqual({ data: { _entities: [{ username: 'user-3' }] } });
  });

  it('keeps fetches with different other variables apart, and later turns in requests of their own', async () => {
    const users = fakeUsers();
    const batched = batchEntityFetches(users.source);
    await Promise.all([batched.process(fetchOf(['1'], { size: 1 })), batched.process(fetchOf(['2'], { size: 2 }))]);
    expect(users.requests).toHaveLength(2);
    await batched.process(fetchOf(['3'], { size: 1 }));
    expect(users.requests).toHaveLength(3);
  });

  it('fails every fetch of the batch when the request fails', async () => {
    const batched = batchEntityFetches(fakeUsers({ fail: true }).source);
    const results = await Promise.allSettled([batched.process(fetchOf(['1'])), batched.process(fetchOf(['2']))]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});
