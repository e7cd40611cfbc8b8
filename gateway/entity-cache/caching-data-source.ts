import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type GraphQLCompositeType, type GraphQLFormattedError, isObjectType, Kind, type SelectionSetNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { subgraphCacheControl } from './cache-control.js';
import { entityEntryKey, pickVariables, rootEntryKey, selectionHash } from './cache-keys.js';
import type { EntityCache, EntityEntry } from './entity-cache.js';
import { erroredPositions, mergeEntities, missingPositions } from './entity-split.js';
import { collectEntities, type EntryEntities, stripAdded } from './entry-entities.js';
import { type CachedFetchShape, type FetchShape, fetchShapeOf, type ShapeContext } from './fetch-shape.js';
import { EVERY_ENTRY, noteMutationAnswer } from './unreported-writes.js';
import { fillViewerFields, removeViewerFields } from './viewer-remainder.js';

/** Fetch shapes kept per supergraph: one per distinct fetch text of its plans. */
const SHAPES_KEPT = 4000;

/** What the caching data sources of one supergraph generation share. */
export interface EntityCacheScope {
  readonly cache: EntityCache;
  /** The supergraph's hash: part of every key. */
  readonly supergraph: string;
  readonly shapes: ShapeContext;
  /** TTL of an entry that holds no type or field with one (RESPONSE_CACHE_DEFAULT_TTL_SECONDS). */
  readonly defaultTtlSeconds: number;
}

/**
 * The entity cache around one subgraph's data source (gateway/README.md, "Entity cache"): an
 * `_entities` fetch looks up each representation and sends only the missed ones, merged back in
 * their order with their errors' paths; a root query is one entry. What a fetch selects that
 * depends on the viewer is asked per request by key (viewer-remainder.ts), never stored.
 * Mutations and anything fetchShapeOf leaves uncached go straight to `inner`.
 */
export function cachingDataSource(subgraph: string, inner: GraphQLDataSource, scope: EntityCacheScope): GraphQLDataSource {
  const shapes = new LRUCache<string, FetchShape>({ max: SHAPES_KEPT });
  const shapeOf = (query: string): FetchShape => {
    let shape = shapes.get(query);
    if (shape === undefined) {
      shape = fetchShapeOf(subgraph, query, scope.shapes);
      shapes.set(query, shape);
    }
    return shape;
  };
  const schema = scope.shapes.schema;

  return {
    process(options) {
      const query = options.request.query;
      if (query === undefined) return inner.process(options);
      const shape = shapeOf(query);
      if (shape.kind === 'uncached') return inner.process(options);
      if (shape.kind === 'mutation') return processMutation(options);
      return shape.kind === 'root' ? processRoot(shape, options) : processEntities(shape, options);
    },
  };

  function send(
    options: GraphQLDataSourceProcessOptions,
    query: string,
    variables: Record<string, unknown>,
    operationName = options.request.operationName,
  ) {
    const request = { ...options.request, query, variables };
    if (operationName === undefined) delete request.operationName;
    else request.operationName = operationName;
    return inner.process({ ...options, request } as GraphQLDataSourceProcessOptions);
  }

  /** Writes the viewer's own fields into `data` and takes the cache's additions out: the fetch's answer as the subgraph would give it. */
  async function finish(
    shape: CachedFetchShape,
    options: GraphQLDataSourceProcessOptions,
    data: Record<string, unknown> | null,
    errors: readonly GraphQLFormattedError[],
    representations?: readonly Record<string, unknown>[],
    /** The entities (of an entity fetch) or the data (null) that came from the cache, without the viewer's fields. */
    fromCache: ReadonlySet<number> | null = null,
  ): Promise<GatewayGraphQLResponse> {
    const all = [...errors];
    if (data !== null && shape.remainders.length > 0) {
      const needed = representations === undefined ? fromCache !== null : fromCache === null || fromCache.size > 0;
      if (needed) {
        all.push(
          ...(await fillViewerFields(
            shape,
            data,
            representations,
            options.request.variables,
            (text, variables) => send(options, text, variables, shape.remainderQuery?.name),
            fromCache ?? undefined,
          )),
        );
      }
      stripAdded(data);
    }
    return all.length > 0 ? { data, errors: all } : { data };
  }

  async function processMutation(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const response = await inner.process(options);
    noteMutationAnswer(options.context, response);
    return response;
  }

  async function processRoot(shape: CachedFetchShape, options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const variables = pickVariables(options.request.variables, shape.variables);
    const key = rootEntryKey(subgraph, selectionHash({ supergraph: scope.supergraph, subgraph, query: shape.query, variables }));
    const lookup = await scope.cache.lookup(subgraph, [key]);
    const hit = lookup.values[0] as Record<string, unknown> | null;
    if (hit !== null) return finish(shape, options, hit, [], undefined, new Set());
    const full = shape.fullQuery;
    const response = await send(
      options,
      full?.text ?? shape.query,
      full === null ? { ...variables } : pickVariables(options.request.variables, full.variables),
    );
    const data = (response.data ?? null) as Record<string, unknown> | null;
    const control = subgraphCacheControl(response);
    if (data !== null && (response.errors?.length ?? 0) === 0 && control.store) {
      const stored = full === null ? data : storedCopy(shape, data);
      const entry = entryOf(key, stored, shape, schema.getQueryType() as GraphQLCompositeType, shape.operation.selectionSet);
      // Serialized now, before the cache's additions come out; stored while the answer goes on.
      void scope.cache.store(lookup, [withMaxAge(entry, control.maxAgeSeconds)]);
    }
    return finish(shape, options, data, response.errors ?? []);
  }

  async function processEntities(
    shape: CachedFetchShape,
    options: GraphQLDataSourceProcessOptions,
  ): Promise<GatewayGraphQLResponse> {
    const representations = options.request.variables?.representations;
    if (!Array.isArray(representations)) return inner.process(options);
    const reps = representations as Record<string, unknown>[];
    const variables = pickVariables(options.request.variables, shape.variables);
    const selection = selectionHash({ supergraph: scope.supergraph, subgraph, query: shape.query, variables });
    const keys = reps.map((representation) => entityEntryKey(subgraph, representation, selection));
    const lookup = await scope.cache.lookup(subgraph, keys);
    const missing = missingPositions(lookup.values);
    const fromCache = new Set<number>();
    lookup.values.forEach((value, index) => {
      if (value !== null) fromCache.add(index);
    });
    if (missing.length === 0) {
      return finish(shape, options, { _entities: lookup.values }, [], reps, fromCache);
    }
    const full = shape.fullQuery;
    const response = await send(options, full?.text ?? shape.query, {
      ...(full === null ? variables : pickVariables(options.request.variables, full.variables)),
      representations: missing.map((index) => reps[index]),
    });
    const answered = (response.data as { _entities?: unknown } | null | undefined)?._entities;
    // The whole fetch failed: answered as it came, as it would have been with every representation sent.
    if (!Array.isArray(answered))
      return { data: response.data ?? null, ...(response.errors === undefined ? {} : { errors: response.errors }) };
    const control = subgraphCacheControl(response);
    if (control.store) {
      const errored = erroredPositions(response);
      const entries: EntityEntry[] = [];
      if (!errored.all) {
        missing.forEach((index, position) => {
          const entity = answered[position];
          const representation = reps[index] as Record<string, unknown>;
          if (entity === null || entity === undefined || errored.positions.has(position)) return;
          const type = schema.getType(String(representation.__typename));
          if (!isObjectType(type)) return;
          const fragment = entitySelection(shape, type.name);
          const id = representation.id;
          const stored = full === null ? entity : storedCopy(shape, entity, representation);
          const entry = entryOf(keys[index] as string, stored, shape, type, fragment, id === undefined ? undefined : String(id));
          entries.push(withMaxAge(entry, control.maxAgeSeconds));
        });
      }
      void scope.cache.store(lookup, entries);
    }
    const merged = mergeEntities(lookup.values, missing, response);
    return finish(shape, options, (merged.data ?? null) as Record<string, unknown> | null, merged.errors ?? [], reps, fromCache);
  }

  /** An entry for `value`: indexed by the entities it holds and the types its selection returns, its TTL their smallest. */
  function entryOf(
    key: string,
    value: unknown,
    shape: CachedFetchShape,
    type: GraphQLCompositeType,
    selectionSet: SelectionSetNode | undefined,
    knownId?: string,
  ): EntityEntry {
    const held: EntryEntities = { keys: new Set([EVERY_ENTRY, ...shape.types]), typenames: new Set() };
    collectEntities(schema, type, selectionSet, value, held, knownId);
    let ttlSeconds = shape.ttlSeconds;
    for (const typename of held.typenames) {
      const ttl = scope.shapes.ttlSeconds[typename];
      if (ttl !== undefined) ttlSeconds = Math.min(ttl, ttlSeconds ?? ttl);
    }
    return { key, value, index: [...held.keys], ttlMs: (ttlSeconds ?? scope.defaultTtlSeconds) * 1000 };
  }
}

/** The selection of `_entities` that applies to `typename`: its `... on typename` fragments. */
function entitySelection(shape: CachedFetchShape, typename: string): SelectionSetNode {
  const entities = shape.operation.selectionSet.selections[0];
  const selections =
    entities?.kind === Kind.FIELD
      ? (entities.selectionSet?.selections ?? []).filter(
          (selection) => selection.kind === Kind.INLINE_FRAGMENT && selection.typeCondition?.name.value === typename,
        )
      : [];
  return { kind: Kind.SELECTION_SET, selections };
}

/** What is stored of an answer fetched with the viewer's fields: a copy without them. */
function storedCopy(shape: CachedFetchShape, value: unknown, representation?: Record<string, unknown>): unknown {
  const copy = structuredClone(value);
  removeViewerFields(shape, copy, representation);
  return copy;
}

function withMaxAge(entry: EntityEntry, maxAgeSeconds: number | undefined): EntityEntry {
  return maxAgeSeconds === undefined ? entry : { ...entry, ttlMs: Math.min(entry.ttlMs, maxAgeSeconds * 1000) };
}

/** Wraps each data source of a generation with the entity cache. */
export function cachingDataSources(
  dataSources: Readonly<Record<string, GraphQLDataSource>>,
  scope: EntityCacheScope,
): Record<string, GraphQLDataSource> {
  return Object.fromEntries(Object.entries(dataSources).map(([name, source]) => [name, cachingDataSource(name, source, scope)]));
}
