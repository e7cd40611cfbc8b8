import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

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
 * A graphql-ws client on the gateway, the way a mobile app connects: `graphql-transport-ws`
 * subprotocol, the token in connectionParams, eager connection, no retries (tests look at
 * close codes themselves).
 */
export function connectSocket(
  httpUrl: string,
  token?: string,
  /** The client's WebSocket class (a test's own, e.g. one that stops answering pings). */
  webSocketImpl: unknown = WebSocket,
): TestSocket {
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
    connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
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

/** A running subscription whose events a test reads in order. */
export interface Subscription<D> {
  /** Every event so far, in arrival order. */
  readonly events: FormattedExecutionResult<D, unknown>[];
  /** Resolves once at least `count` events arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<FormattedExecutionResult<D, unknown>[]>;
  /** Resolves when the server completed (or errored) the subscription. */
  readonly ended: Promise<unknown>;
  unsubscribe(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read event data loosely, asserting with expect()
export function subscribe<D = any>(socket: TestSocket, query: string, variables: Record<string, unknown> = {}): Subscription<D> {
  const events: FormattedExecutionResult<D, unknown>[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let end: (value: unknown) => void = () => undefined;
  const ended = new Promise<unknown>((resolve) => {
    end = resolve;
  });
  const unsubscribe = socket.client.subscribe<D>(
    { query, variables },
    {
      next: (event) => {
        events.push(event);
        for (const waiter of waiters.filter((w) => events.length >= w.count)) waiter.resolve();
      },
      error: (error) => end(error),
      complete: () => end(undefined),
    },
  );
  return {
    events,
    ended,
    unsubscribe,
    waitFor(count, timeoutMs = 10_000) {
      if (events.length >= count) return Promise.resolve(events);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`expected ${count} events within ${timeoutMs} ms, got ${events.length}: ${JSON.stringify(events)}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(events);
          },
        });
      });
    },
  };
}

/**
 * Resolves once `subscription` is live: a subscribe is asynchronous, so events sent before the
 * subgraph registered it are not delivered (without `after`). Pokes (e.g. sends a warm-up
 * message) until a first event arrives; callers filter the warm-up events out.
 */
export async function untilLive(
  subscription: Subscription<unknown>,
  poke: () => Promise<unknown>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (subscription.events.length === 0) {
    if (Date.now() > deadline) throw new Error('subscription never became live');
    await poke();
    await subscription.waitFor(1, 100).catch(() => undefined);
  }
}
