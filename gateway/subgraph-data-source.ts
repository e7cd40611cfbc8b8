import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayContext } from './context.js';

type Fetcher = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher'];

/** Requests sent to each subgraph since start: what tests count to prove a plan is batched. */
export type SubgraphRequestCounts = Map<string, number>;

/**
 * How the gateway calls a subgraph: Node's fetch (undici, pooled keep-alive connections) and
 * the viewer's verified bearer token forwarded as is. Subgraphs verify the token themselves,
 * so nothing a client sends can make a subgraph believe in another identity.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraphName: string,
    url: string,
    private readonly counts: SubgraphRequestCounts,
  ) {
    super({ url, fetcher: fetch as unknown as Fetcher });
  }

  override willSendRequest({
    request,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
    this.counts.set(this.subgraphName, (this.counts.get(this.subgraphName) ?? 0) + 1);
    const token = context.viewer?.token;
    if (token !== undefined) request.http?.headers.set('authorization', `Bearer ${token}`);
  }
}
