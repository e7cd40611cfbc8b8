import type { Logger } from '../lib/kernel/logger.js';
import { type OperationListener, type SubscribePayload, UpstreamConnection } from './upstream-connection.js';

/** One operation sent to a subgraph over its WebSocket, on behalf of one viewer. */
export interface UpstreamOperation {
  readonly query: string;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown>;
  /** The viewer's bearer token; the subgraph verifies it for this operation only. */
  readonly token: string | undefined;
}

/** Keep a subgraph's socket through short lulls between subscriptions instead of reconnecting. */
const IDLE_CLOSE_MS = 30_000;
const KEEPALIVE_MS = 10_000;

/**
 * The gateway's graphql-ws connections to subgraphs: one socket per subgraph URL, shared by every
 * subscription of every client (operations multiplexed by id), opened on first use
 * (upstream-connection.ts). The viewer travels with each operation (`extensions.authorization`),
 * not with the socket. Operations fail with UpstreamRefusal (the subgraph's `error` message) or
 * UpstreamLost (the socket dropped: resuming-upstream.ts subscribes again from the last event).
 */
export class UpstreamSubscriptions {
  /** By the subgraph's HTTP URL: a reload that moves a subgraph opens a new socket, and the old one serves who still uses it. */
  readonly #connections = new Map<string, UpstreamConnection>();
  readonly #logger: Logger;
  readonly #signingSecret: string | undefined;
  #closing = false;

  constructor(logger: Logger, signingSecret?: string) {
    this.#logger = logger;
    this.#signingSecret = signingSecret;
  }

  /** True once close() was called: lost operations are not resubscribed (resuming-upstream.ts). */
  get closing(): boolean {
    return this.#closing;
  }

  /** Pushes the operation's events to `listener` (UpstreamConnection.listen); returns what stops it. */
  listen(subgraph: string, url: string, operation: UpstreamOperation, listener: OperationListener): () => void {
    return this.#connection(subgraph, url).listen(subscribePayload(operation), listener);
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const connection of this.#connections.values()) connection.close();
    this.#connections.clear();
  }

  #connection(subgraph: string, url: string): UpstreamConnection {
    let connection = this.#connections.get(url);
    if (connection === undefined) {
      connection = new UpstreamConnection({
        url: url.replace(/^http/, 'ws'),
        idleCloseMs: IDLE_CLOSE_MS,
        keepAliveMs: KEEPALIVE_MS,
        ...(this.#signingSecret === undefined ? {} : { signingSecret: this.#signingSecret }),
        onClosed: (code, reason) => {
          if (code !== 1000) this.#logger.warn({ subgraph, code, reason }, 'subgraph WebSocket closed');
        },
      });
      this.#connections.set(url, connection);
    }
    return connection;
  }
}

function subscribePayload(operation: UpstreamOperation): SubscribePayload {
  return {
    query: operation.query,
    ...(operation.operationName === undefined ? {} : { operationName: operation.operationName }),
    variables: operation.variables,
    extensions: operation.token === undefined ? {} : { authorization: `Bearer ${operation.token}` },
  };
}
