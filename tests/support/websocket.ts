import type { GraphQLFormattedError } from 'graphql';
import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { signedConnectionParams } from './signed-subgraph.js';

/**
 * graphql-ws clients for tests, on the gateway (as an app connects) or on a subgraph (as the
 * gateway connects), and the operations they run, read in arrival order.
 */

/** How a test's WebSocket ended: the close event the client saw. */
export interface Closed {
  code: number;
  reason: string;
}

export interface TestSocket {
  readonly client: Client;
  /** Resolves with the first close of the socket. */
  readonly closed: Promise<Closed>;
  /** Resolves once the server acknowledged connection_init. */
  readonly connected: Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A graphql-ws client on the gateway, the way a mobile app connects: the token in
 * connectionParams.
 */
export function connectSocket(
  httpUrl: string,
  token?: string,
  /** The client's WebSocket class (a test's own, e.g. one that stops answering pings). */
  webSocketImpl: unknown = WebSocket,
): TestSocket {
  return openSocket(httpUrl, token === undefined ? {} : { authorization: `Bearer ${token}` }, webSocketImpl);
}

/**
 * A graphql-ws client on a subgraph's own WebSocket endpoint, the way the gateway talks to it:
 * connection_init signed with `signingSecret`, one socket for many operations, each naming its
 * viewer in `extensions.authorization` (or the socket's, from `connectionParams`).
 */
export function connectToSubgraph(
  httpUrl: string,
  signingSecret: string,
  connectionParams: Record<string, unknown> = {},
  /** Another WebSocket class (a test that pauses its reading). */
  webSocketImpl: unknown = WebSocket,
): TestSocket {
  return openSocket(httpUrl, { ...signedConnectionParams(signingSecret), ...connectionParams }, webSocketImpl);
}

/**
 * The `graphql-transport-ws` client both connect with: eager, no retries (tests look at close
 * codes themselves).
 */
function openSocket(httpUrl: string, connectionParams: Record<string, unknown>, webSocketImpl: unknown = WebSocket): TestSocket {
  let onClosed: (closed: Closed) => void = () => undefined;
  let onConnected: () => void = () => undefined;
  const closed = new Promise<Closed>((resolve) => {
    onClosed = resolve;
  });
  const connected = new Promise<void>((resolve) => {
    onConnected = resolve;
  });
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl,
    lazy: false,
    retryAttempts: 0,
    connectionParams,
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed({ code, reason: String(reason) });
      },
    },
    onNonLazyError: () => undefined,
  });
  return { client, closed, connected, dispose: async () => client.dispose() };
}

/** How an operation ended: `complete`, or a graphql-ws `error` message with its errors. */
export type Ending = { kind: 'complete' } | { kind: 'error'; errors: GraphQLFormattedError[] };

/** The errors of an `error` ending; none for `complete`. */
export function errorsOf(ending: Ending): GraphQLFormattedError[] {
  return ending.kind === 'error' ? ending.errors : [];
}

/** A running operation whose events a test reads in arrival order. */
export interface Subscription<D> {
  /** Every event so far, in arrival order. */
  readonly events: FormattedExecutionResult<D, unknown>[];
  /** Resolves when the server completed the operation or ended it with an error. */
  readonly ended: Promise<Ending>;
  /** Resolves with the events once `predicate` holds for them, checked at each event (rejects after `timeoutMs`). */
  until(
    predicate: (events: FormattedExecutionResult<D, unknown>[]) => boolean,
    timeoutMs?: number,
  ): Promise<FormattedExecutionResult<D, unknown>[]>;
  /** Resolves once at least `count` events arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<FormattedExecutionResult<D, unknown>[]>;
  unsubscribe(): void;
}

/** Runs an operation on `socket`; `extensions` travel with it (a subgraph reads the viewer there). */
// biome-ignore lint/suspicious/noExplicitAny: tests read event data loosely, asserting with expect()
export function subscribe<D = any>(
  socket: TestSocket,
  query: string,
  variables: Record<string, unknown> = {},
  extensions?: Record<string, unknown>,
): Subscription<D> {
  const events: FormattedExecutionResult<D, unknown>[] = [];
  const checks = new Set<() => void>();
  let finish: (ending: Ending) => void = () => undefined;
  const ended = new Promise<Ending>((resolve) => {
    finish = resolve;
  });
  const unsubscribe = socket.client.subscribe<D>(
    { query, variables, ...(extensions === undefined ? {} : { extensions }) },
    {
      next(event) {
        events.push(event);
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
  const until: Subscription<D>['until'] = (predicate, timeoutMs = 10_000) => {
    if (predicate(events)) return Promise.resolve(events);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(events)) return;
        clearTimeout(timer);
        checks.delete(check);
        resolve(events);
      };
      const timer = setTimeout(() => {
        checks.delete(check);
        reject(new Error(`condition not met within ${timeoutMs} ms; events so far: ${JSON.stringify(events).slice(0, 2000)}`));
      }, timeoutMs);
      checks.add(check);
    });
  };
  return {
    events,
    ended,
    unsubscribe,
    until,
    waitFor: (count, timeoutMs) =>
      until((all) => all.length >= count, timeoutMs).catch((error: Error) => {
        throw new Error(`expected ${count} events: ${error.message}`);
      }),
  };
}

/**
 * Resolves once every subscription received an event. A subscribe is asynchronous and the
 * server does not say when it took effect, so events sent before it did are not delivered
 * (without `after`): `poke` (a warm-up message, a typing signal) is sent again each time the
 * last one was answered, until an event arrived on each. Warm-ups still in flight may arrive
 * after this resolves: callers filter them out, or count through a marker sent afterwards.
 */
export async function untilLive(
  subscriptions: Subscription<unknown> | Subscription<unknown>[],
  poke: () => Promise<unknown>,
  timeoutMs = 10_000,
): Promise<void> {
  const all = Array.isArray(subscriptions) ? subscriptions : [subscriptions];
  const deadline = Date.now() + timeoutMs;
  while (all.some((subscription) => subscription.events.length === 0)) {
    if (Date.now() > deadline) throw new Error(`subscription never became live within ${timeoutMs} ms`);
    await poke();
  }
}

/**
 * A WebSocket class for `connectSocket`/`connectToSubgraph` that keeps its instances, so that a
 * test can stop reading a socket (`pause()`) and go on (`resume()`): a client that falls behind.
 */
export function pausableWebSocket(): { impl: unknown; created: WebSocket[] } {
  const created: WebSocket[] = [];
  class PausableWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      created.push(this);
    }
  }
  return { impl: PausableWebSocket, created };
}
