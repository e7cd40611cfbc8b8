import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { FetchOutcome, SubgraphFetchMetrics } from '../lib/metrics.js';
import { TOUCHED_ENTITIES_EXTENSION } from '../lib/touched-entities.js';
import type { GatewayContext } from './context.js';

type Fetcher = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher'];
type ProcessOptions = Parameters<RemoteGraphQLDataSource<GatewayContext>['process']>[0];
type ProcessResult = Awaited<ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']>>;

/** Requests sent to each subgraph since start: what tests count to prove a plan is batched. */
export type SubgraphRequestCounts = Map<string, number>;

/**
 * How the gateway calls a subgraph: Node's fetch (undici, pooled keep-alive connections) and
 * the viewer's verified bearer token forwarded as is. Subgraphs verify the token themselves,
 * so nothing a client sends can make a subgraph believe in another identity. Every fetch is
 * timed and counted in `metrics` (gateway_subgraph_request*).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraphName: string,
    url: string,
    private readonly counts: SubgraphRequestCounts,
    private readonly metrics?: SubgraphFetchMetrics,
  ) {
    super({ url, fetcher: fetchGraphQLResponse as unknown as Fetcher });
  }

  override async process(options: ProcessOptions): Promise<ProcessResult> {
    const start = performance.now();
    let outcome: FetchOutcome = 'failed';
    try {
      const response = await super.process(options);
      outcome = (response.errors?.length ?? 0) > 0 ? 'error' : 'success';
      return response;
    } catch (error) {
      // A non-2xx answer (a subgraph's 401 for UNAUTHENTICATED, say) is thrown with the response.
      if ((error as { extensions?: { response?: unknown } } | null)?.extensions?.response !== undefined) outcome = 'error';
      throw error;
    } finally {
      this.metrics?.observe(this.subgraphName, outcome, (performance.now() - start) / 1000);
    }
  }

  override willSendRequest({
    request,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
    this.counts.set(this.subgraphName, (this.counts.get(this.subgraphName) ?? 0) + 1);
    const token = context.viewer?.token;
    if (token !== undefined) request.http?.headers.set('authorization', `Bearer ${token}`);
  }

  /** Collects what a mutation touched (lib/touched-entities.ts) for the response cache to invalidate. */
  override didReceiveResponse({
    response,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['didReceiveResponse']>>[0]) {
    const reported = response.extensions?.[TOUCHED_ENTITIES_EXTENSION];
    if (reported !== undefined) context.touched.addReported(reported);
    return response;
  }
}

/**
 * fetch, except that a GraphQL response with a non-2xx status (a subgraph answers an
 * UNAUTHENTICATED with 401 under application/graphql-response+json) is handed over as the
 * GraphQL result it is. RemoteGraphQLDataSource would otherwise replace it with "401:
 * Unauthorized" and attach the subgraph's URL and raw body for the client to see.
 */
async function fetchGraphQLResponse(input: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return response;
  const body = await response.text();
  const isGraphQLResult = (() => {
    try {
      const parsed = JSON.parse(body) as { errors?: unknown };
      return Array.isArray(parsed.errors) && parsed.errors.length > 0;
    } catch {
      return false;
    }
  })();
  return new Response(body, {
    status: isGraphQLResult ? 200 : response.status,
    statusText: isGraphQLResult ? 'OK' : response.statusText,
    headers: response.headers,
  });
}
