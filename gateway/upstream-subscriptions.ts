import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from '../lib/logger.js';

/** One operation sent to a subgraph over its WebSocket, on behalf of one viewer. */
export interface UpstreamOperation {
  readonly query: string;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown>;
  /** The viewer's bearer token; the subgraph verifies it for this operation only. */
  readonly token: string | undefined;
}

/**
 * The gateway's graphql-ws connections to subgraphs: one socket per subgraph, shared by every
 * subscription of every client (graphql-ws multiplexes operations by id), opened on first use.
 * The viewer travels with each operation (`extensions.authorization`), not with the socket.
 *
 * No retries: when a subgraph's socket drops, its subscriptions fail, and the public server
 * closes the affected clients with a code that makes graphql-ws clients reconnect; they
 * resubscribe with `after`, and catch-up makes that lossless. Silently resubscribing here
 * would instead skip whatever was sent while the socket was down.
 */
export class UpstreamSubscriptions {
  readonly #clients = new Map<string, Client>();
  readonly #urls: Readonly<Record<string, string | undefined>>;
  readonly #logger: Logger;

  constructor(subgraphUrls: Readonly<Record<string, string | undefined>>, logger: Logger) {
    this.#urls = subgraphUrls;
    this.#logger = logger;
  }

  subscribe(subgraph: string, operation: UpstreamOperation): AsyncIterableIterator<FormattedExecutionResult> {
    return this.#client(subgraph).iterate({
      query: operation.query,
      ...(operation.operationName === undefined ? {} : { operationName: operation.operationName }),
      variables: operation.variables,
      extensions: operation.token === undefined ? {} : { authorization: `Bearer ${operation.token}` },
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((client) => client.dispose()));
    this.#clients.clear();
  }

  #client(subgraph: string): Client {
    let client = this.#clients.get(subgraph);
    if (client === undefined) {
      const url = this.#urls[subgraph];
      if (url === undefined) throw new Error(`No URL for subgraph "${subgraph}"`);
      client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        // Keep the socket through short lulls between subscriptions instead of reconnecting.
        lazyCloseTimeout: 30_000,
        keepAlive: 10_000,
        retryAttempts: 0,
        on: {
          closed: (event) => {
            const { code, reason } = event as { code?: number; reason?: string };
            if (code !== 1000) this.#logger.warn({ subgraph, code, reason }, 'subgraph WebSocket closed');
          },
        },
      });
      this.#clients.set(subgraph, client);
    }
    return client;
  }
}
