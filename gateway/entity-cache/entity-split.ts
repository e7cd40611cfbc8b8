import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLFormattedError } from 'graphql';

/** The positions of `cached` that missed (null): the representations to send, in their order. */
export function missingPositions(cached: readonly unknown[]): number[] {
  const missing: number[] = [];
  for (let index = 0; index < cached.length; index += 1) if (cached[index] === null) missing.push(index);
  return missing;
}

/**
 * An `_entities` answer for every representation, in their original order, from the entities
 * found in the cache (`cached`, null where missed) and the subgraph's answer for the missed
 * ones (`fetched`, asked in the order of `missing`). An error at `_entities.<j>` of the
 * subgraph's answer is the error of representation `missing[j]`, so its path says that; other
 * errors stay as they are. (A fetch that failed as a whole is answered as it came, not merged.)
 */
export function mergeEntities(
  cached: readonly unknown[],
  missing: readonly number[],
  fetched: GatewayGraphQLResponse | null,
): GatewayGraphQLResponse {
  const entities = [...cached];
  const answered = (fetched?.data as { _entities?: unknown } | null | undefined)?._entities;
  for (let j = 0; j < missing.length; j += 1) {
    entities[missing[j] as number] = Array.isArray(answered) ? (answered[j] ?? null) : null;
  }
  const errors: GraphQLFormattedError[] = [];
  for (const error of fetched?.errors ?? []) {
    const [field, index, ...rest] = error.path ?? [];
    if (field === '_entities' && typeof index === 'number' && index < missing.length) {
      errors.push({ ...error, path: ['_entities', missing[index] as number, ...rest] });
    } else errors.push(error);
  }
  const data = { _entities: entities };
  return errors.length > 0 ? { data, errors } : { data };
}

/** The positions (of the subgraph's answer) of entities an error names: these are never stored. */
export function erroredPositions(response: GatewayGraphQLResponse): { all: boolean; positions: Set<number> } {
  const positions = new Set<number>();
  let all = false;
  for (const error of response.errors ?? []) {
    const [field, index] = error.path ?? [];
    if (field === '_entities' && typeof index === 'number') positions.add(index);
    else all = true;
  }
  return { all, positions };
}
