import { EventEmitter } from 'node:events';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
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

/** What one exchange with a subgraph brought back, before parsing. */
interface SubgraphAnswer {
  readonly status: number;
  readonly text: string;
  /** Its `Cache-Control` header, for the entity cache (entity-cache/cache-control.ts). */
  readonly cacheControl: string | undefined;
}

export interface SubgraphDataSourceOptions {
  /** Deadline of one fetch, from sending the request to the last byte of the answer (SUBGRAPH_TIMEOUT_MS). */
  timeoutMs: number;
  /**
   * Identical queries in flight at once (same document, variables and token) share one request
   * (SUBGRAPH_QUERY_DEDUPLICATION); mutations never do.
   */
  deduplicateQueries?: boolean;
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
 *
 * A query identical to one already in flight (same body, same token) waits for that one's answer
 * instead of sending its own. Each caller parses the answer's text itself: the executor merges
 * the objects it gets into its own result tree, so two requests must never hold the same ones.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;
  readonly #signingSecret: string | undefined;
  readonly #deduplicateQueries: boolean;
  /** Queries sent and not answered yet, by token and body: what an identical query waits for. */
  readonly #inFlight = new Map<string, Promise<SubgraphAnswer>>();

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
    this.#deduplicateQueries = options.deduplicateQueries ?? false;
    const target = new URL(url);
    this.#path = `${target.pathname}${target.search}`;
    this.#pool = new Pool(target.origin, { connections: CONNECTIONS_PER_SUBGRAPH, keepAliveTimeout: 60_000 });
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName, extensions } = options.request;
    if (query === undefined) throw new Error('Missing query');
    const token = (options.context as Partial<GatewayContext>).viewer?.token;
    const body = JSON.stringify({ query, variables, operationName, extensions });
    const key = this.#deduplicateQueries && isQuery(query) ? `${token ?? ''} ${body}` : undefined;
    const pending = key === undefined ? undefined : this.#inFlight.get(key);
    if (pending !== undefined) {
      this.metrics?.deduplicated(this.subgraphName);
      return this.#result(await pending);
    }
    const start = performance.now();
    let outcome: FetchOutcome = 'failed';
    try {
      this.counts.set(this.subgraphName, (this.counts.get(this.subgraphName) ?? 0) + 1);
      const exchange = this.#sendWithin(body, token);
      if (key !== undefined) {
        this.#inFlight.set(key, exchange);
        const forget = () => this.#inFlight.delete(key);
        exchange.then(forget, forget);
      }
      const response = this.#result(await exchange);
      outcome = (response.errors?.length ?? 0) > 0 ? 'error' : 'success';
      // What a mutation touched (lib/kernel/touched-entities.ts), for the response cache to invalidate.
      const reported = response.extensions?.[TOUCHED_ENTITIES_EXTENSION];
      if (reported !== undefined) options.context.touched?.addReported(reported);
      return response;
    } finally {
      this.metrics?.observe(this.subgraphName, outcome, (performance.now() - start) / 1000);
    }
  }

  /** The GraphQL result in an answer; an answer that is none fails the fetch. */
  #result(answer: SubgraphAnswer): GatewayGraphQLResponse {
    const result = parseGraphQLResult(answer.text);
    if (result === undefined || (answer.status >= 300 && !Array.isArray(result.errors))) {
      throw this.#clientError(new SubgraphHttpError(this.subgraphName, answer.status));
    }
    if (answer.cacheControl !== undefined) {
      // Where Apollo's RemoteGraphQLDataSource puts the answer's headers.
      (result as { http?: { headers: Headers; status: number } }).http = {
        headers: new Headers({ 'cache-control': answer.cacheControl }),
        status: answer.status,
      };
    }
    return result;
  }

  /**
   * #send under one deadline for the whole exchange. undici's headersTimeout and bodyTimeout
   * are per read: a subgraph trickling a byte a second would never trip them. The deadline
   * answers even while the request still waits for a connection of the pool, tolerates a busy
   * event loop (gateway/lag-tolerant-timeout.ts), and the abort frees the connection.
   */
  async #sendWithin(body: string, token: string | undefined): Promise<SubgraphAnswer> {
    const abort = new FetchAbort();
    try {
      return await lagTolerantTimeout(this.#send(body, token, abort), this.#timeoutMs, `subgraph ${this.subgraphName}`);
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

  async #send(body: string, token: string | undefined, signal: EventEmitter): Promise<SubgraphAnswer> {
    // Not signed, like the token: a wrong id only mislabels log lines, and the subgraph checks its form.
    // A shared query carries the id of the request that sent it.
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
    const cacheControl = response.headers['cache-control'];
    return {
      status: response.statusCode,
      text: await response.body.text(),
      cacheControl: Array.isArray(cacheControl) ? cacheControl.join(', ') : cacheControl,
    };
  }
}

/** Whether a fetch's document is a query: the planner writes `query …` or a bare `{ … }`. */
function isQuery(document: string): boolean {
  const start = document.trimStart();
  return start.startsWith('{') || start.startsWith('query');
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
