import { EventEmitter } from 'node:events';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLRequest, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Pool, errors as undiciErrors } from 'undici';
import type { FetchOutcome, SubgraphFetchMetrics } from '../lib/infra/metrics.js';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS } from '../lib/kernel/config.js';
import { SubgraphTimeoutError, SubgraphUnavailableError } from '../lib/kernel/errors.js';
import type { Logger } from '../lib/kernel/logger.js';
import { currentRequestId, REQUEST_ID_HEADER } from '../lib/kernel/request-id.js';
import { SIGNATURE_HEADER, signContent } from '../lib/kernel/request-signature.js';
import { TOUCHED_ENTITIES_EXTENSION } from '../lib/kernel/touched-entities.js';
import type { GatewayContext } from './context.js';
import { lagTolerantTimeout, TimeoutError } from './lag-tolerant-timeout.js';

/** Requests sent to each subgraph since start: what tests count to prove a plan is batched. */
export type SubgraphRequestCounts = Map<string, number>;

/** Keep-alive connections per subgraph: a gateway's concurrency to one subgraph, at most. */
const CONNECTIONS_PER_SUBGRAPH = 64;

/** A subgraph that answered something other than a GraphQL result; the message names no address. */
class SubgraphHttpError extends Error {
  constructor(subgraph: string, status: number) {
    super(`Subgraph ${subgraph} answered HTTP ${status}`);
    this.name = 'SubgraphHttpError';
  }
}

/**
 * The abort signal of one fetch, as undici accepts it: an EventEmitter with `reason`. An
 * AbortController with undici's listener on it costs ~15 µs per fetch (EventTarget), this ~1 µs.
 */
class FetchAbort extends EventEmitter {
  reason: Error | undefined;

  abort(reason: Error): void {
    this.reason = reason;
    this.emit('abort');
  }
}

export interface SubgraphDataSourceOptions {
  /** Deadline of one fetch, from sending the request to the last byte of the answer (SUBGRAPH_TIMEOUT_MS). */
  timeoutMs: number;
  /** Where the cause of a failed fetch goes; the client only reads which subgraph failed. */
  logger?: Logger;
  /** Signs each request (lib/kernel/request-signature.ts): subgraphs answer only signed ones. */
  signingSecret?: string | undefined;
}

/**
 * How the gateway calls a subgraph: one undici pool of keep-alive connections per subgraph and
 * the viewer's verified bearer token forwarded as is. Subgraphs verify the token themselves,
 * so nothing a client sends can make a subgraph believe in another identity. Every fetch is
 * timed and counted in `metrics` (gateway_subgraph_request*).
 *
 * Not Apollo's RemoteGraphQLDataSource: that one builds node-fetch Headers and a Request and
 * goes through fetch and web streams for every call, the largest single cost in the gateway's
 * CPU profile. And a GraphQL answer with a non-2xx status (a subgraph answers an
 * UNAUTHENTICATED with 401 under application/graphql-response+json) is taken here for the
 * GraphQL result it is; RemoteGraphQLDataSource turns it into "401: Unauthorized" carrying the
 * subgraph's URL and raw body to the client.
 *
 * A fetch that fails answers the subgraph's fields with SUBGRAPH_TIMEOUT or SUBGRAPH_UNAVAILABLE
 * naming it (`extensions.serviceName`); the plan's other fetches still answer theirs.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;
  readonly #signingSecret: string | undefined;

  constructor(
    private readonly subgraphName: string,
    url: string,
    private readonly counts: SubgraphRequestCounts,
    private readonly metrics?: SubgraphFetchMetrics,
    options: SubgraphDataSourceOptions = { timeoutMs: DEFAULT_SUBGRAPH_TIMEOUT_MS },
  ) {
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
    this.#signingSecret = options.signingSecret;
    const target = new URL(url);
    this.#path = `${target.pathname}${target.search}`;
    this.#pool = new Pool(target.origin, { connections: CONNECTIONS_PER_SUBGRAPH, keepAliveTimeout: 60_000 });
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const start = performance.now();
    let outcome: FetchOutcome = 'failed';
    try {
      this.counts.set(this.subgraphName, (this.counts.get(this.subgraphName) ?? 0) + 1);
      const response = await this.#sendWithin(options.request, options.context as Partial<GatewayContext>);
      outcome = (response.errors?.length ?? 0) > 0 ? 'error' : 'success';
      // What a mutation touched (lib/kernel/touched-entities.ts), for the response cache to invalidate.
      const reported = response.extensions?.[TOUCHED_ENTITIES_EXTENSION];
      if (reported !== undefined) options.context.touched?.addReported(reported);
      return response;
    } finally {
      this.metrics?.observe(this.subgraphName, outcome, (performance.now() - start) / 1000);
    }
  }

  /**
   * #send under one deadline for the whole exchange. undici's headersTimeout and bodyTimeout
   * are per read: a subgraph trickling a byte a second would never trip them. The deadline
   * answers even while the request still waits for a connection of the pool, tolerates a busy
   * event loop (gateway/lag-tolerant-timeout.ts), and the abort frees the connection.
   */
  async #sendWithin(request: GatewayGraphQLRequest, context: Partial<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const abort = new FetchAbort();
    try {
      return await lagTolerantTimeout(this.#send(request, context, abort), this.#timeoutMs, `subgraph ${this.subgraphName}`);
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw this.#clientError(error);
      const timeout = new SubgraphTimeoutError(this.subgraphName);
      abort.abort(timeout);
      this.#logger?.warn({ subgraph: this.subgraphName, timeoutMs: this.#timeoutMs }, 'subgraph did not answer in time');
      throw timeout;
    }
  }

  /**
   * What the client reads for a fetch that got no GraphQL answer: the subgraph's name and a
   * code, the cause logged here. Refused, reset, closed (system and undici errors) or not a
   * GraphQL answer; anything else is a bug here and stays an internal error.
   */
  #clientError(error: unknown): unknown {
    const unreachable =
      error instanceof SubgraphHttpError ||
      error instanceof undiciErrors.UndiciError ||
      typeof (error as { code?: unknown } | null)?.code === 'string';
    if (!unreachable) return error;
    this.#logger?.warn({ err: error, subgraph: this.subgraphName }, 'subgraph unavailable');
    return new SubgraphUnavailableError(this.subgraphName);
  }

  /** Closes the connections to the subgraph. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #send(
    request: GatewayGraphQLRequest,
    context: Partial<GatewayContext>,
    signal: EventEmitter,
  ): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName, extensions } = request;
    if (query === undefined) throw new Error('Missing query');
    const token = context.viewer?.token;
    const body = JSON.stringify({ query, variables, operationName, extensions });
    // Not signed, like the token: a wrong id only mislabels log lines, and the subgraph checks its form.
    const requestId = currentRequestId();
    const response = await this.#pool.request({
      path: this.#path,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId }),
        ...(this.#signingSecret === undefined ? {} : { [SIGNATURE_HEADER]: signContent(this.#signingSecret, body) }),
      },
      body,
      signal,
    });
    const result = parseGraphQLResult(await response.body.text());
    if (result === undefined || (response.statusCode >= 300 && !Array.isArray(result.errors))) {
      throw new SubgraphHttpError(this.subgraphName, response.statusCode);
    }
    return result;
  }
}

function parseGraphQLResult(text: string): GatewayGraphQLResponse | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as GatewayGraphQLResponse)
      : undefined;
  } catch {
    return undefined;
  }
}
