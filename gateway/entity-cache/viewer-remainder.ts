import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLFormattedError } from 'graphql';
import { pickVariables } from './cache-keys.js';
import { type CachedFetchShape, keyAlias, TYPENAME_ALIAS, type ViewerRemainder } from './fetch-shape.js';

/** An object a remainder's fields go into, where its errors point, and the representation that asks for it. */
interface Target {
  readonly object: Record<string, unknown>;
  readonly path: readonly (string | number)[];
  readonly representation: Record<string, unknown>;
}

/**
 * Asks the subgraph, for this request's viewer, for the viewer-dependent fields `shape` took
 * out of its cached selection (one `_entities` request for all of them), and writes them into
 * `data`, the fetch's answer put together from the cache. Their errors come back with the path
 * they would have had in the original fetch. A fetch of them that fails throws, as the original
 * fetch would have: no answer is completed with another viewer's values or a guess.
 */
export async function fillViewerFields(
  shape: CachedFetchShape,
  data: Record<string, unknown>,
  representations: readonly Record<string, unknown>[] | undefined,
  variables: Readonly<Record<string, unknown>> | undefined,
  send: (query: string, variables: Record<string, unknown>) => Promise<GatewayGraphQLResponse>,
  /** Of an entity fetch, the entities to complete (those that came from the cache); all when absent. */
  only?: ReadonlySet<number>,
): Promise<GraphQLFormattedError[]> {
  const remainderQuery = shape.remainderQuery;
  if (remainderQuery === null) return [];
  const targets = shape.remainders.map((remainder) => targetsOf(remainder, data, representations, only));
  if (targets.every((list) => list.length === 0)) return [];
  const sent: Record<string, unknown> = pickVariables(variables, remainderQuery.variables);
  targets.forEach((list, index) => {
    sent[`r${index}`] = list.map((target) => target.representation);
  });
  const response = await send(remainderQuery.text, sent);
  const answered = (response.data ?? null) as Record<string, unknown> | null;
  targets.forEach((list, index) => {
    const entities = answered?.[`r${index}`];
    const names = (shape.remainders[index] as ViewerRemainder).responseNames;
    list.forEach((target, position) => {
      const entity = Array.isArray(entities) ? (entities[position] as Record<string, unknown> | null) : null;
      for (const name of names) target.object[name] = entity === null || entity === undefined ? null : (entity[name] ?? null);
    });
  });
  return (response.errors ?? []).map((error) => {
    const [field, position, ...rest] = error.path ?? [];
    const index = typeof field === 'string' && /^r\d+$/.test(field) ? Number(field.slice(1)) : -1;
    const target = typeof position === 'number' ? targets[index]?.[position] : undefined;
    return target === undefined ? error : { ...error, path: [...target.path, ...rest] };
  });
}

/**
 * Takes the viewer-dependent fields out of `value` (a root fetch's data, or one entity with its
 * representation), in place: what is stored of an answer that was fetched with them.
 */
export function removeViewerFields(shape: CachedFetchShape, value: unknown, representation?: Record<string, unknown>): void {
  const data = (representation === undefined ? value : { _entities: [value] }) as Record<string, unknown>;
  for (const remainder of shape.remainders) {
    for (const target of targetsOf(remainder, data, representation === undefined ? undefined : [representation])) {
      for (const name of remainder.responseNames) delete target.object[name];
    }
  }
}

/** The objects of `data` at the remainder's path that are of its type, with their path in the fetch's answer. */
function targetsOf(
  remainder: ViewerRemainder,
  data: Record<string, unknown>,
  representations: readonly Record<string, unknown>[] | undefined,
  only?: ReadonlySet<number>,
): Target[] {
  const targets: Target[] = [];
  const starts: { value: unknown; path: (string | number)[]; representation?: Record<string, unknown> }[] = [];
  if (representations === undefined) starts.push({ value: data, path: [] });
  else {
    const entities = data._entities;
    if (!Array.isArray(entities)) return targets;
    entities.forEach((value, index) => {
      const representation = representations[index];
      if (only !== undefined && !only.has(index)) return;
      if (representation !== undefined) starts.push({ value, path: ['_entities', index], representation });
    });
  }
  const descend = (value: unknown, path: (string | number)[], depth: number, representation?: Record<string, unknown>) => {
    if (value === null || value === undefined || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        descend(item, [...path, index], depth, representation);
      });
      return;
    }
    const object = value as Record<string, unknown>;
    if (depth < remainder.path.length) {
      const name = remainder.path[depth] as string;
      descend(object[name], [...path, name], depth + 1, representation);
      return;
    }
    if (remainder.byRepresentation) {
      if (representation !== undefined && representation.__typename === remainder.typename) {
        targets.push({ object, path, representation });
      }
      return;
    }
    if (object[TYPENAME_ALIAS] !== remainder.typename) return;
    const key: Record<string, unknown> = { __typename: remainder.typename };
    for (const field of remainder.keyFields) key[field] = object[keyAlias(field)];
    targets.push({ object, path, representation: key });
  };
  for (const start of starts) descend(start.value, start.path, 0, start.representation);
  return targets;
}
