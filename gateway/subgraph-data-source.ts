import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLRequest, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Pool } from 'undici';
import type { FetchOutcome, SubgraphFetchMetrics } from '../lib/metrics.js';
import { SIGNATURE_HEADER, signContent } from '../lib/request-signature.js';
import { TOUCHED_ENTITIES_EXTENSION } from '../lib/touched-entities.js';
import type { GatewayContext } from './context.js';

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
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  readonly #pool: Pool;
  readonly #path: string;

  constructor(
    private readonly subgraphName: string,
    url: string,
    private readonly counts: SubgraphRequestCounts,
    private readonly metrics?: SubgraphFetchMetrics,
    /** Signs each request (lib/request-signature.ts): subgraphs answer only signed ones. */
    private readonly signingSecret?: string,
  ) {
    const target = new URL(url);
    this.#path = `${target.pathname}${target.search}`;
    this.#pool = new Pool(target.origin, { connections: CONNECTIONS_PER_SUBGRAPH, keepAliveTimeout: 60_000 });
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const start = performance.now();
    let outcome: FetchOutcome = 'failed';
    try {
      this.counts.set(this.subgraphName, (this.counts.get(this.subgraphName) ?? 0) + 1);
      const response = await this.#send(options.request, options.context as Partial<GatewayContext>);
      outcome = (response.errors?.length ?? 0) > 0 ? 'error' : 'success';
      // What a mutation touched (lib/touched-entities.ts), for the response cache to invalidate.
      const reported = response.extensions?.[TOUCHED_ENTITIES_EXTENSION];
      if (reported !== undefined) options.context.touched?.addReported(reported);
      return response;
    } finally {
      this.metrics?.observe(this.subgraphName, outcome, (performance.now() - start) / 1000);
    }
  }

  /** Closes the connections to the subgraph. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #send(request: GatewayGraphQLRequest, context: Partial<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName, extensions } = request;
    if (query === undefined) throw new Error('Missing query');
    const token = context.viewer?.token;
    const body = JSON.stringify({ query, variables, operationName, extensions });
    const response = await this.#pool.request({
      path: this.#path,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(this.signingSecret === undefined ? {} : { [SIGNATURE_HEADER]: signContent(this.signingSecret, body) }),
      },
      body,
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
