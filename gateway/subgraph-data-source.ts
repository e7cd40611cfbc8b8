import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayContext } from './context.js';

/**
 * How the gateway calls a subgraph: Node's fetch (undici, pooled keep-alive connections) and
 * the viewer's verified bearer token forwarded as is. Subgraphs verify the token themselves,
 * so nothing a client sends can make a subgraph believe in another identity.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(url: string) {
    super({ url, fetcher: fetch as unknown as NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher'] });
  }

  override willSendRequest({
    request,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
    const token = context.viewer?.token;
    if (token !== undefined) request.http?.headers.set('authorization', `Bearer ${token}`);
  }
}
