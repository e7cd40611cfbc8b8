import { readFileSync } from 'node:fs';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { describe, expect, it } from 'vitest';
import { parseCacheControl } from '../../gateway/entity-cache/cache-control.js';
import { entityEntryKey, rootEntryKey, selectionHash } from '../../gateway/entity-cache/cache-keys.js';
import { cachingDataSource } from '../../gateway/entity-cache/caching-data-source.js';
import { EntityCache } from '../../gateway/entity-cache/entity-cache.js';
import { mergeEntities, missingPositions } from '../../gateway/entity-cache/entity-split.js';
import { type CachedFetchShape, fetchShapeOf } from '../../gateway/entity-cache/fetch-shape.js';
import { LocalLayer } from '../../gateway/entity-cache/local-layer.js';
import { shapeContextOf } from '../../gateway/entity-cache/shape-context.js';
import { loadSupergraph } from '../../gateway/federation/supergraph.js';
import { MemoryResponseCacheStore } from '../../gateway/response-cache/cache-store.js';
import { SUPERGRAPH_FILE } from '../../gateway/server.js';
import { DEFAULT_RESPONSE_CACHE_TTL } from '../../lib/kernel/config.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { viewerDependentFields } from '../../lib/kernel/viewer-dependence.js';

const sdl = readFileSync(SUPERGRAPH_FILE, 'utf8');
const loaded = loadSupergraph(sdl);
const shapes = shapeContextOf(loaded, viewerDependentFields(sdl), DEFAULT_RESPONSE_CACHE_TTL);

describe('cache keys', () => {
  const selection = selectionHash({ supergraph: 'abc', subgraph: 'users', query: '{ x }', variables: { b: 1, a: 2 } });

  it('name an entity by subgraph, type, representation and selection, whatever the order of the representation’s keys', () => {
    const one = entityEntryKey('users', { __typename: 'User', id: '1', extra: 'x' }, selection);
    expect(one).toMatch(/^e:users:User:[\w-]+:[\w-]+$/);
    expect(entityEntryKey('users', { extra: 'x', id: '1', __typename: 'User' }, selection)).toBe(one);
    expect(entityEntryKey('users', { __typename: 'User', id: '2', extra: 'x' }, selection)).not.toBe(one);
    expect(entityEntryKey('posts', { __typename: 'User', id: '1', extra: 'x' }, selection)).not.toBe(one);
  });

  it('change with the supergraph, the query and the variables, not with the variables’ order', () => {
    const same = selectionHash({ supergraph: 'abc', subgraph: 'users', query: '{ x }', variables: { a: 2, b: 1 } });
    expect(same).toBe(selection);
    for (const other of [
      { supergraph: 'abd', subgraph: 'users', query: '{ x }', variables: { a: 2, b: 1 } },
      { supergraph: 'abc', subgraph: 'users', query: '{ y }', variables: { a: 2, b: 1 } },
      { supergraph: 'abc', subgraph: 'users', query: '{ x }', variables: { a: 3, b: 1 } },
    ]) {
      expect(selectionHash(other)).not.toBe(selection);
    }
    expect(rootEntryKey('posts', selection)).toBe(`q:posts:${selection}`);
  });
});

describe('fetch shapes', () => {
  it('take likedByViewer out of a root post fetch, put the key in, and ask for it by key', () => {
    const shape = fetchShapeOf(
      'posts',
      'query Post__posts__0($id:ID!){post(id:$id){content id likedByViewer likesCount author{__typename id}}}',
      shapes,
    ) as CachedFetchShape;
    expect(shape.kind).toBe('root');
    expect(shape.query).not.toContain('likedByViewer');
    expect(shape.query).toContain('_ec_t: __typename');
    expect(shape.query).toContain('_ec_k_id: id');
    expect(shape.variables).toEqual(['id']);
    expect(shape.remainders).toEqual([
      { path: ['post'], typename: 'Post', byRepresentation: false, keyFields: ['id'], responseNames: ['likedByViewer'] },
    ]);
    expect(shape.fullQuery?.text).toContain('likedByViewer');
    expect(shape.fullQuery?.text).toContain('_ec_k_id: id');
    expect(shape.remainderQuery?.text).toBe(
      'query Post__posts__0__viewer($r0: [_Any!]!) { r0: _entities(representations: $r0) { ... on Post { likedByViewer } } }',
    );
    // Post's TTL (60 s) bounds it; its index names the types it returns.
    expect(shape.ttlSeconds).toBe(60);
    expect(shape.types).toEqual(expect.arrayContaining(['Post', 'User']));
  });

  it('send an entity’s own viewer-dependent fields with its representation, and the variables they use', () => {
    const shape = fetchShapeOf(
      'posts',
      'query P__posts__1($representations:[_Any!]!$postsFirst:Int=10){_entities(representations:$representations){...on User{posts(first:$postsFirst){nodes{id likedByViewer}}postsCount}}}',
      shapes,
    ) as CachedFetchShape;
    expect(shape.kind).toBe('entities');
    expect(shape.variables).toEqual(['postsFirst']);
    expect(shape.remainders).toEqual([
      {
        path: ['posts', 'nodes'],
        typename: 'Post',
        byRepresentation: false,
        keyFields: ['id'],
        responseNames: ['likedByViewer'],
      },
    ]);
    const top = fetchShapeOf(
      'users',
      'query U__users__1($representations:[_Any!]!){_entities(representations:$representations){...on User{username isFollowedByViewer}}}',
      shapes,
    ) as CachedFetchShape;
    expect(top.remainders).toEqual([
      { path: [], typename: 'User', byRepresentation: true, keyFields: [], responseNames: ['isFollowedByViewer'] },
    ]);
  });

  it('leave uncached what cannot be shared or kept: viewer-dependent roots, TTL 0, named fragments; mutations apart', () => {
    expect(fetchShapeOf('users', 'query Me__users__0{me{__typename id username}}', shapes)).toMatchObject({ kind: 'uncached' });
    expect(fetchShapeOf('posts', 'query F($first:Int){feed(first:$first){nodes{id}}}', shapes)).toMatchObject({
      kind: 'uncached',
    });
    expect(fetchShapeOf('users', 'query O($first:Int){onlineUsers(first:$first){id}}', shapes)).toMatchObject({
      kind: 'uncached',
    });
    expect(fetchShapeOf('posts', 'query P($id:ID!){post(id:$id){...F}} fragment F on Post{id}', shapes)).toMatchObject({
      kind: 'uncached',
    });
    expect(fetchShapeOf('posts', 'mutation L($id:ID!){likePost(id:$id){id}}', shapes)).toEqual({ kind: 'mutation' });
  });
});

describe('representation split and merge', () => {
  it('sends only the missed representations and puts the answers back in their places, errors remapped', () => {
    const cached = [{ username: 'a' }, null, { username: 'c' }, null];
    const missing = missingPositions(cached);
    expect(missing).toEqual([1, 3]);
    const merged = mergeEntities(cached, missing, {
      data: { _entities: [{ username: 'b' }, null] },
      errors: [{ message: 'no d', path: ['_entities', 1, 'username'] }, { message: 'whole fetch' }],
    });
    expect(merged).toEqual({
      data: { _entities: [{ username: 'a' }, { username: 'b' }, { username: 'c' }, null] },
      errors: [{ message: 'no d', path: ['_entities', 3, 'username'] }, { message: 'whole fetch' }],
    });
  });
});

describe('Cache-Control of a subgraph answer', () => {
  it('no-store, private, no-cache and max-age=0 are never stored; max-age and s-maxage bound the TTL', () => {
    for (const header of ['no-store', 'private, max-age=60', 'no-cache', 'max-age=0', 'public, s-maxage=0, max-age=60']) {
      expect(parseCacheControl(header)).toEqual({ store: false, maxAgeSeconds: 0 });
    }
    expect(parseCacheControl('public, max-age=30')).toEqual({ store: true, maxAgeSeconds: 30 });
    expect(parseCacheControl('max-age=30, s-maxage=10')).toEqual({ store: true, maxAgeSeconds: 10 });
    expect(parseCacheControl('public')).toEqual({ store: true, maxAgeSeconds: undefined });
  });
});

/** A users subgraph that answers `_entities` with `user-<id>`, `isFollowedByViewer` as the viewer says, and records every request. */
function fakeUsers(options: { cacheControl?: string } = {}) {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const source: GraphQLDataSource = {
    async process({ request, context }) {
      requests.push({ query: request.query ?? '', variables: request.variables ?? {} });
      const viewer = (context as { viewer?: string }).viewer;
      const variables = request.variables ?? {};
      const data: Record<string, unknown[]> = {};
      const errors: NonNullable<GatewayGraphQLResponse['errors']>[number][] = [];
      for (const [name, value] of Object.entries(variables)) {
        if (!Array.isArray(value)) continue;
        const field = name === 'representations' ? '_entities' : name;
        data[field] = (value as { id: string }[]).map(({ id }, index) => {
          if (id === 'bad') {
            errors.push({ message: 'no such user', path: [field, index, 'username'] });
            return null;
          }
          const own = request.query?.includes('isFollowedByViewer') ? { isFollowedByViewer: viewer === `fan-of-${id}` } : {};
          return field === '_entities' ? { username: `user-${id}`, ...own } : own;
        });
      }
      const response: GatewayGraphQLResponse = errors.length > 0 ? { data, errors } : { data };
      return options.cacheControl === undefined
        ? response
        : { ...response, http: { headers: new Headers({ 'cache-control': options.cacheControl }) } as never };
    },
  };
  return { source, requests };
}

const ENTITIES =
  'query U__users__1($representations:[_Any!]!){_entities(representations:$representations){...on User{username}}}';
const WITH_VIEWER =
  'query U__users__2($representations:[_Any!]!){_entities(representations:$representations){...on User{username isFollowedByViewer}}}';

function cachedUsers(options: { cacheControl?: string } = {}) {
  const fake = fakeUsers(options);
  const counted = { hit: 0, miss: 0 };
  const cache = new EntityCache(new MemoryResponseCacheStore({ maxEntries: 100 }), {
    counters: { lookups: (_subgraph, outcome, count) => (counted[outcome] += count), error: () => undefined },
    logger: createLogger({ level: 'silent', pretty: false }),
    guardMs: 60_000,
  });
  const source = cachingDataSource('users', fake.source, { cache, supergraph: 'test', shapes, defaultTtlSeconds: 60 });
  const ask = (query: string, ids: string[], viewer?: string) =>
    source.process({
      request: { query, variables: { representations: ids.map((id) => ({ __typename: 'User', id })) } },
      context: { viewer },
    } as unknown as GraphQLDataSourceProcessOptions);
  return { ...fake, ask, counted, cache };
}

/** Lets the stores that run while an answer goes on finish. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('the caching data source', () => {
  it('answers hits from the cache, sends only the misses, in order, with their errors at their own index', async () => {
    const users = cachedUsers();
    await users.ask(ENTITIES, ['1', '3']);
    await settled();
    const answer = await users.ask(ENTITIES, ['1', '2', '3', 'bad']);
    expect(answer).toEqual({
      data: { _entities: [{ username: 'user-1' }, { username: 'user-2' }, { username: 'user-3' }, null] },
      errors: [{ message: 'no such user', path: ['_entities', 3, 'username'] }],
    });
    expect(users.requests.at(-1)?.variables.representations).toEqual([
      { __typename: 'User', id: '2' },
      { __typename: 'User', id: 'bad' },
    ]);
    expect(users.counted).toEqual({ hit: 2, miss: 4 });
    await settled();
    // The errored one was not stored: asked again, it is a miss again.
    await users.ask(ENTITIES, ['2', 'bad']);
    expect(users.requests.at(-1)?.variables.representations).toEqual([{ __typename: 'User', id: 'bad' }]);
  });

  it('asks the viewer-dependent fields per viewer and never stores them', async () => {
    const users = cachedUsers();
    const asFan = await users.ask(WITH_VIEWER, ['7'], 'fan-of-7');
    await settled();
    const asOther = await users.ask(WITH_VIEWER, ['7'], 'someone');
    expect(asFan).toEqual({ data: { _entities: [{ username: 'user-7', isFollowedByViewer: true }] } });
    expect(asOther).toEqual({ data: { _entities: [{ username: 'user-7', isFollowedByViewer: false }] } });
    // The miss asked for everything in one request, and stored only the shared part; the second
    // answer took that from the cache and asked for the viewer's own field alone.
    expect(users.requests.map((request) => request.query.includes('isFollowedByViewer'))).toEqual([true, true]);
    expect(users.requests[1]?.query).not.toContain('username');
    expect(users.counted).toEqual({ hit: 1, miss: 1 });
  });

  it('does not store what the subgraph answers with Cache-Control: no-store', async () => {
    const users = cachedUsers({ cacheControl: 'no-store' });
    await users.ask(ENTITIES, ['1']);
    await settled();
    await users.ask(ENTITIES, ['1']);
    expect(users.requests).toHaveLength(2);
    expect(users.counted).toEqual({ hit: 0, miss: 2 });
    const stored = cachedUsers({ cacheControl: 'max-age=30' });
    await stored.ask(ENTITIES, ['1']);
    await settled();
    await stored.ask(ENTITIES, ['1']);
    expect(stored.requests).toHaveLength(1);
  });

  it('does not store an answer read before an invalidation of what it holds', async () => {
    const users = cachedUsers();
    let release: () => void = () => undefined;
    const slow = fakeUsers();
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const source = cachingDataSource(
      'users',
      {
        process: async (options) => {
          await gate;
          return slow.source.process(options);
        },
      },
      { cache: users.cache, supergraph: 'test', shapes, defaultTtlSeconds: 60 },
    );
    const pending = source.process({
      request: { query: ENTITIES, variables: { representations: [{ __typename: 'User', id: '9' }] } },
      context: {},
    } as unknown as GraphQLDataSourceProcessOptions);
    await settled();
    await users.cache.invalidate([{ typename: 'User', id: '9' }]);
    release();
    await pending;
    await settled();
    await users.ask(ENTITIES, ['9']);
    expect(users.requests).toHaveLength(1);
  });
});

describe('the in-process layer', () => {
  it('serves a kept entry only at the epoch it was read at, and reads it again after any invalidation', async () => {
    const shared = new MemoryResponseCacheStore({ maxEntries: 10 });
    let lookups = 0;
    const counting = {
      kind: 'redis' as const,
      lookupMany: (keys: readonly string[]) => {
        lookups += 1;
        return shared.lookupMany(keys);
      },
      currentEpoch: () => shared.currentEpoch(),
      store: shared.store.bind(shared),
      invalidate: shared.invalidate.bind(shared),
      close: shared.close.bind(shared),
    };
    const layer = new LocalLayer(counting, { maxEntries: 10 });
    const entry = `${Date.now() + 60_000}\n{"a":1}`;
    const { epoch } = await layer.lookupMany(['k']);
    expect(await layer.store('k', entry, ['Post:1'], 60_000, epoch)).toBe(true);
    lookups = 0;
    expect((await layer.lookupMany(['k'])).json).toEqual([entry]);
    expect(lookups).toBe(0);
    // Another instance invalidates Post:1 in the shared store: this one must not serve its copy.
    await shared.invalidate([{ typename: 'Post', id: '1' }]);
    expect((await layer.lookupMany(['k'])).json).toEqual([null]);
    expect(lookups).toBe(1);
  });
});
