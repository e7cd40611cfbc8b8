import { randomBytes } from 'node:crypto';
import { buildSchema, parse } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryResponseCacheStore, type ResponseCacheStore } from '../../gateway/response-cache/cache-store.js';
import { RedisResponseCacheStore } from '../../gateway/response-cache/redis-cache-store.js';
import { entitiesInResult } from '../../gateway/response-cache/result-entities.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { eventually } from '../support/until.js';

/**
 * What the response cache indexes a result under, read off the client's own document (it adds
 * nothing to it: tests/federation/ shows why), and how an entity whose id the result does not
 * show is still invalidated.
 */

const schema = buildSchema(/* GraphQL */ `
  type Query { post(id: ID!): Post posts: [Post!]! node(id: ID!): Node feed: PostConnection! search: [Result!]! }
  interface Node { id: ID! }
  type Post implements Node { id: ID! content: String! author: User! }
  type User implements Node { id: ID! username: String! }
  type PostConnection { items: [Post!]! }
  union Result = Post | User
`);

const entities = (query: string, data: Record<string, unknown>) =>
  entitiesInResult(schema, parse(query), undefined, data).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('entitiesInResult', () => {
  it('names each object by its type and the id the client selected, under any alias', () => {
    expect(
      entities('{ post(id: 1) { key: id content author { id } } }', { post: { key: '1', content: 'x', author: { id: 'u1' } } }),
    ).toEqual([
      { typename: 'Post', id: '1' },
      { typename: 'User', id: 'u1' },
    ]);
  });

  it('leaves an object whose id the client did not select unidentified, and a type with no id plain', () => {
    expect(entities('{ feed { items { content } } }', { feed: { items: [{ content: 'a' }, { content: 'b' }] } })).toEqual([
      { typename: 'Post', unidentified: true },
      { typename: 'PostConnection' },
    ]);
  });

  it('reads an id that is not `id` as no id', () => {
    expect(entities('{ post(id: 1) { id: content } }', { post: { id: 'not an id' } })).toEqual([
      { typename: 'Post', unidentified: true },
    ]);
  });

  it('takes an abstract object as the type its __typename names, or else as each type it can be', () => {
    expect(entities('{ node(id: 1) { t: __typename id } }', { node: { t: 'User', id: 'u1' } })).toEqual([
      { typename: 'User', id: 'u1' },
    ]);
    expect(entities('{ node(id: 1) { id } }', { node: { id: 'u1' } })).toEqual([
      { typename: 'Post', id: 'u1' },
      { typename: 'User', id: 'u1' },
    ]);
  });

  it('follows inline and named fragments by their type conditions', () => {
    const query = /* GraphQL */ `
      { search { __typename ...P ... on User { id username } } }
      fragment P on Post { id author { ... on Node { id } } }
    `;
    expect(
      entities(query, {
        search: [
          { __typename: 'Post', id: 'p1', author: { id: 'u2' } },
          { __typename: 'User', id: 'u3', username: 'ada' },
        ],
      }),
    ).toEqual([
      { typename: 'Post', id: 'p1' },
      { typename: 'User', id: 'u2' },
      { typename: 'User', id: 'u3' },
    ]);
  });

  it('finds nothing in a null result, and nothing below a null field', () => {
    expect(entities('{ post(id: 1) { id } }', {})).toEqual([]);
    expect(entitiesInResult(schema, parse('{ post(id: 1) { id } }'), undefined, null)).toEqual([]);
    expect(entities('{ post(id: 1) { id author { id } } }', { post: null })).toEqual([]);
  });
});

const redisUrl = process.env.REDIS_URL;
const stores: [string, () => ResponseCacheStore][] = [
  ['memory', () => new MemoryResponseCacheStore({ maxEntries: 100 })],
  ...(redisUrl
    ? ([
        [
          'redis',
          () =>
            new RedisResponseCacheStore({
              url: redisUrl,
              logger: createLogger({ level: 'silent', pretty: false }),
              commandTimeoutMs: 1000,
              maxTtlMs: 60_000,
              guardMs: 60_000,
              prefix: `test-${randomBytes(4).toString('hex')}:`,
            }),
        ],
      ] as [string, () => ResponseCacheStore][])
    : []),
];

describe.each(stores)('%s store, an unidentified entity', (_name, open) => {
  const store = open();
  afterAll(() => store.close());

  it('is dropped by the invalidation of any entity of its type, and of no other type', async () => {
    // The Redis client connects on its first command and does not queue before: wait for it.
    await eventually(() => store.lookup('ping').then(() => true), 1000);
    const { epoch } = await store.lookup('unidentified');
    expect(await store.store('unidentified', '{"data":1}', ['Post', 'Post:*'], 10_000, epoch)).toBe(true);
    await store.invalidate([{ typename: 'User', id: '9' }]);
    expect((await store.lookup('unidentified')).json).toBe('{"data":1}');
    await store.invalidate([{ typename: 'Post', id: '1' }]);
    expect((await store.lookup('unidentified')).json).toBeNull();
    // And a result that read it before that invalidation is not stored after it.
    const before = await store.lookup('late');
    await store.invalidate([{ typename: 'Post', id: '2' }]);
    expect(await store.store('late', '{"old":true}', ['Post:*'], 10_000, before.epoch)).toBe(false);
  });
});
