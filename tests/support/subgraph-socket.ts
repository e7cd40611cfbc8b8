import type { GraphQLFormattedError } from 'graphql';
import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A graphql-ws client on a subgraph's own WebSocket endpoint, the way the gateway talks to it:
 * one socket, many operations, each with its viewer in `extensions.authorization`.
 */
export function connectToSubgraph(httpUrl: string, connectionParams: Record<string, unknown> = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams,
    onNonLazyError: () => undefined,
  });
}

/** How an operation ended: `complete`, or a graphql-ws `error` message with its errors. */
export type Ending = { kind: 'complete' } | { kind: 'error'; errors: GraphQLFormattedError[] };

/** One running operation whose results a test reads in arrival order. */
export interface Operation<D> {
  readonly results: FormattedExecutionResult<D, unknown>[];
  readonly ended: Promise<Ending>;
  /** Resolves with the results once `predicate` holds for them (rejects after `timeoutMs`). */
  until(
    predicate: (results: FormattedExecutionResult<D, unknown>[]) => boolean,
    timeoutMs?: number,
  ): Promise<FormattedExecutionResult<D, unknown>[]>;
  unsubscribe(): void;
}

export function operate<D = Record<string, unknown>>(
  client: Client,
  request: { query: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> },
): Operation<D> {
  const results: FormattedExecutionResult<D, unknown>[] = [];
  const checks = new Set<() => void>();
  let finish: (ending: Ending) => void = () => undefined;
  const ended = new Promise<Ending>((resolve) => {
    finish = resolve;
  });
  const unsubscribe = client.subscribe<D>(
    {
      query: request.query,
      variables: request.variables ?? {},
      ...(request.extensions ? { extensions: request.extensions } : {}),
    },
    {
      next(result) {
        results.push(result);
        for (const check of [...checks]) check();
      },
      error(error) {
        finish({
          kind: 'error',
          errors: Array.isArray(error) ? (error as GraphQLFormattedError[]) : [{ message: String(error) }],
        });
      },
      complete: () => finish({ kind: 'complete' }),
    },
  );
  return {
    results,
    ended,
    unsubscribe,
    until(predicate, timeoutMs = 10_000) {
      if (predicate(results)) return Promise.resolve(results);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(results)) return;
          clearTimeout(timer);
          checks.delete(check);
          resolve(results);
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(
            new Error(`condition not met within ${timeoutMs} ms; results so far: ${JSON.stringify(results).slice(0, 2000)}`),
          );
        }, timeoutMs);
        checks.add(check);
      });
    },
  };
}

/**
 * Resolves once every operation has received a result: a subscribe is asynchronous, so
 * without `after` an event published before the subgraph registered the subscription is not
 * delivered. Pokes (sends a warm-up message, a typing signal) until each got one.
 */
export async function untilLive(
  operations: Operation<unknown>[],
  poke: () => Promise<unknown>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (operations.some((operation) => operation.results.length === 0)) {
    if (Date.now() > deadline) throw new Error('subscription never became live');
    await poke();
    await Promise.all(
      operations.map((operation) => operation.until((results) => results.length > 0, 150).catch(() => undefined)),
    );
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
