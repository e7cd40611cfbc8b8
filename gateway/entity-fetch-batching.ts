import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLFormattedError } from 'graphql';

interface Waiter {
  readonly offset: number;
  readonly count: number;
  resolve(response: GatewayGraphQLResponse): void;
  reject(error: unknown): void;
}

interface Batch {
  readonly options: GraphQLDataSourceProcessOptions;
  readonly representations: unknown[];
  readonly waiters: Waiter[];
}

/**
 * A data source that gathers the entity fetches (`_entities(representations:)`) made during one
 * turn of the event loop with the same query and other variables into one request, and splits
 * the answer back: `_entities` by position, errors by their `_entities` index.
 *
 * For the shared execution of subscription events only (federated-subscriptions.ts): there,
 * the selection is viewer-independent and already runs with whichever subscriber's identity
 * came first, so events of different conversations can equally share one identity. When
 * messages arrive faster than one per turn, a turn's events then cost one fetch per subgraph
 * instead of one each; the users subgraph was the largest cost per delivery before this.
 * Never for queries or viewer-dependent selections, whose requests carry their own viewer.
 */
export function batchEntityFetches(real: GraphQLDataSource): GraphQLDataSource {
  let pending = new Map<string, Batch>();

  const dispatch = async (batch: Batch) => {
    const { options, representations, waiters } = batch;
    let response: GatewayGraphQLResponse;
    try {
      response = await real.process({
        ...options,
        request: { ...options.request, variables: { ...options.request.variables, representations } },
      } as GraphQLDataSourceProcessOptions);
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    for (const waiter of waiters) waiter.resolve(sliceFor(response, entities, waiter));
  };

  return {
    process(options) {
      const { query, variables } = options.request;
      const representations = variables?.representations;
      if (query === undefined || !Array.isArray(representations)) return real.process(options);
      const { representations: _, ...others } = variables ?? {};
      const key = `${query}\u0000${JSON.stringify(others)}`;
      let batch = pending.get(key);
      if (batch === undefined) {
        batch = { options, representations: [], waiters: [] };
        pending.set(key, batch);
        if (pending.size === 1) {
          setImmediate(() => {
            const batches = pending;
            pending = new Map();
            for (const ready of batches.values()) void dispatch(ready);
          });
        }
      }
      const offset = batch.representations.length;
      batch.representations.push(...representations);
      const waiters = batch.waiters;
      return new Promise<GatewayGraphQLResponse>((resolve, reject) => {
        waiters.push({ offset, count: representations.length, resolve, reject });
      });
    },
  };
}

/** One fetch's part of the batched answer: its entities, and the errors of its entities or of all. */
function sliceFor(response: GatewayGraphQLResponse, entities: unknown[] | undefined, waiter: Waiter): GatewayGraphQLResponse {
  const errors: GraphQLFormattedError[] = [];
  for (const error of response.errors ?? []) {
    const [field, index, ...rest] = error.path ?? [];
    if (field !== '_entities' || typeof index !== 'number') errors.push(error);
    else if (index >= waiter.offset && index < waiter.offset + waiter.count) {
      errors.push({ ...error, path: ['_entities', index - waiter.offset, ...rest] });
    }
  }
  const { errors: _all, ...rest } = response;
  const data =
    entities === undefined
      ? response.data
      : { ...response.data, _entities: entities.slice(waiter.offset, waiter.offset + waiter.count) };
  return errors.length > 0 ? { ...rest, data, errors } : { ...rest, data };
}
