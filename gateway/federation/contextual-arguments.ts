import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { FetchDataKeyRenamer, QueryPlan } from '@apollo/query-planner';
import { type GraphQLSchema, isAbstractType, isObjectType } from 'graphql';
import { fetchesOf, fetchKey, type ResponsePath } from './plan-fetches.js';

/**
 * `@context` / `@fromContext`: an argument whose value comes from an ancestor of the entity
 * (`field(a: String @fromContext(field: "$ctx { prop }"))`). The planner selects the ancestor's
 * field in an earlier fetch and marks the entity fetch with `contextRewrites` (a path such as
 * `.. / ... on T / prop`, relative to each entity, and the variable to pass it as). Stock
 * @apollo/gateway ignores them: the argument arrives null, or a client variable of the same
 * name fills it.
 *
 * The executor builds representations from the entities alone, so the data sources of one
 * execution are wrapped: root fetches' data is kept (the executor merges it into its result by
 * reference, so walking it reaches the very objects later fetches fill in), and an entity fetch
 * with context rewrites finds its entities there, in the executor's order, reads each one's
 * context values, and sends one request per distinct set of values.
 */

/**
 * The plan's fetches that take contextual arguments, by subgraph, operation and the response path
 * they run at (two fetches of one text may take their values from different types); null when
 * no fetch does.
 */
export function contextualFetchesOf(plan: QueryPlan): ReadonlyMap<string, readonly FetchDataKeyRenamer[]> | null {
  const found = new Map<string, FetchDataKeyRenamer[]>();
  for (const { fetch, path } of fetchesOf(plan)) {
    if (fetch.contextRewrites === undefined || fetch.contextRewrites.length === 0) continue;
    const key = fetchKey(fetch.serviceName, fetch.operation, path);
    found.set(key, [...(found.get(key) ?? []), ...fetch.contextRewrites]);
  }
  return found.size === 0 ? null : found;
}

type DataObject = Record<string, unknown>;
type Response = Awaited<ReturnType<GraphQLDataSource['process']>>;

/**
 * `serviceMap` for one execution of a plan whose contextual fetches are `fetches`: each data
 * source answers as before, and contextual entity fetches get their context values.
 */
export function withContextualArguments(
  serviceMap: Readonly<Record<string, GraphQLDataSource>>,
  fetches: ReadonlyMap<string, readonly FetchDataKeyRenamer[]>,
  supergraphSchema: GraphQLSchema,
): Record<string, GraphQLDataSource> {
  // What the executor's result holds at its root: the first non-null value of each key.
  const root: DataObject = Object.create(null);
  const wrapped: Record<string, GraphQLDataSource> = {};
  for (const [name, source] of Object.entries(serviceMap)) {
    wrapped[name] = {
      async process(options) {
        const path = (options as { pathInIncomingRequest?: ResponsePath }).pathInIncomingRequest ?? [];
        const rewrites = fetches.get(fetchKey(name, options.request.query ?? '', path));
        if (rewrites === undefined) {
          const response = await source.process(options);
          if (path.length === 0) keepRootData(root, response.data);
          return response;
        }
        return processContextual(source, options, rewrites, entitiesAt(root, path), supergraphSchema);
      },
    };
  }
  return wrapped;
}

function keepRootData(root: DataObject, data: unknown): void {
  if (data === null || typeof data !== 'object') return;
  for (const [key, value] of Object.entries(data as DataObject)) {
    if (value !== undefined && (root[key] === undefined || root[key] === null)) root[key] = value;
  }
}

/** An entity of the result and the objects above it, nearest last (lists skipped, as `..` skips them). */
interface PlacedEntity {
  readonly entity: DataObject;
  readonly ancestors: readonly DataObject[];
}

/** The entities at `path` (`@` for each list item), in the order the executor collects them. */
function entitiesAt(root: DataObject, path: readonly (string | number)[]): PlacedEntity[] {
  const placed: PlacedEntity[] = [];
  const walk = (value: unknown, index: number, ancestors: readonly DataObject[]): void => {
    if (value === null || value === undefined) return;
    if (index === path.length) {
      if (Array.isArray(value)) for (const item of value) walk(item, index, ancestors);
      else if (typeof value === 'object') placed.push({ entity: value as DataObject, ancestors });
      return;
    }
    const segment = path[index];
    if (segment === '@') {
      if (Array.isArray(value)) for (const item of value) walk(item, index + 1, ancestors);
      return;
    }
    if (typeof value !== 'object' || Array.isArray(value)) return;
    walk((value as DataObject)[String(segment)], index + 1, [...ancestors, value as DataObject]);
  };
  walk(root, 0, []);
  return placed;
}

async function processContextual(
  source: GraphQLDataSource,
  options: GraphQLDataSourceProcessOptions,
  rewrites: readonly FetchDataKeyRenamer[],
  placed: readonly PlacedEntity[],
  schema: GraphQLSchema,
): Promise<Response> {
  const variables = { ...(options.request.variables ?? {}) } as Record<string, unknown>;
  // Never a client's: a variable named like a contextual argument is the gateway's to set.
  for (const rewrite of rewrites) delete variables[rewrite.renameKeyTo];
  const representations = (variables.representations ?? []) as DataObject[];
  const owners = ownersOf(representations, placed);
  const groups = new Map<string, { values: Record<string, unknown>; indices: number[] }>();
  representations.forEach((_, index) => {
    const owner = owners[index];
    const values = owner === undefined ? {} : contextValues(owner, rewrites, schema);
    const key = JSON.stringify(values);
    let group = groups.get(key);
    if (group === undefined) {
      group = { values, indices: [] };
      groups.set(key, group);
    }
    group.indices.push(index);
  });
  const send = (group: { values: Record<string, unknown>; indices: readonly number[] }, all: boolean) =>
    source.process({
      ...options,
      request: {
        ...options.request,
        variables: {
          ...variables,
          ...group.values,
          representations: all ? representations : group.indices.map((index) => representations[index]),
        },
      },
    } as GraphQLDataSourceProcessOptions);
  const list = [...groups.values()];
  if (list.length <= 1) return send(list[0] ?? { values: {}, indices: [] }, true);
  const responses = await Promise.all(list.map((group) => send(group, false)));
  return mergeResponses(list, responses, representations.length);
}

/**
 * The placed entity each representation was built from. The executor skips entities whose
 * type the fetch does not take, so they are matched in order by the key fields they carry.
 */
function ownersOf(representations: readonly DataObject[], placed: readonly PlacedEntity[]): (PlacedEntity | undefined)[] {
  const owners: (PlacedEntity | undefined)[] = [];
  let next = 0;
  for (const representation of representations) {
    let owner: PlacedEntity | undefined;
    while (next < placed.length && owner === undefined) {
      const candidate = placed[next++] as PlacedEntity;
      if (carries(candidate.entity, representation)) owner = candidate;
    }
    owners.push(owner);
  }
  return owners;
}

function carries(entity: DataObject, representation: DataObject): boolean {
  return Object.entries(representation).every(
    ([key, value]) => key === '__typename' || JSON.stringify(entity[key]) === JSON.stringify(value),
  );
}

/** The contextual variables of one entity: the first rewrite of each variable that finds a value. */
function contextValues(
  placed: PlacedEntity,
  rewrites: readonly FetchDataKeyRenamer[],
  schema: GraphQLSchema,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const rewrite of rewrites) {
    if (rewrite.renameKeyTo in values) continue;
    const value = valueAt(placed, rewrite.path, schema);
    if (value !== undefined) values[rewrite.renameKeyTo] = value;
  }
  return values;
}

/** Follows a rewrite path from the entity: `..` to the object above, `... on T` a type check, a key into it. */
function valueAt(placed: PlacedEntity, path: readonly string[], schema: GraphQLSchema): unknown {
  let current: unknown = placed.entity;
  let depth = placed.ancestors.length;
  for (const element of path) {
    if (element === '..') {
      depth -= 1;
      current = placed.ancestors[depth];
    } else if (element.startsWith('... on ')) {
      if (!isOfType(current, element.slice('... on '.length), schema)) return undefined;
    } else {
      current = current !== null && typeof current === 'object' ? (current as DataObject)[element] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

function isOfType(value: unknown, typeName: string, schema: GraphQLSchema): boolean {
  const typename = (value as DataObject | null)?.__typename;
  if (typeof typename !== 'string') return false;
  if (typename === typeName) return true;
  const condition = schema.getType(typeName);
  const type = schema.getType(typename);
  return condition !== undefined && isAbstractType(condition) && isObjectType(type) && schema.isSubType(condition, type);
}

/** One `_entities` answer from the answers of each group, in the representations' order. */
function mergeResponses(
  groups: readonly { indices: readonly number[] }[],
  responses: readonly Response[],
  count: number,
): Response {
  const entities: unknown[] = new Array(count).fill(null);
  const errors: NonNullable<Response['errors']>[number][] = [];
  groups.forEach((group, groupIndex) => {
    const response = responses[groupIndex] as Response;
    const received = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    group.indices.forEach((index, position) => {
      entities[index] = received?.[position] ?? null;
    });
    for (const error of response.errors ?? []) {
      const path = error.path;
      const position = path?.[1];
      errors.push(
        path?.[0] === '_entities' && typeof position === 'number'
          ? { ...error, path: ['_entities', group.indices[position] ?? position, ...path.slice(2)] }
          : error,
      );
    }
  });
  return { data: { _entities: entities }, ...(errors.length === 0 ? {} : { errors }) };
}
