import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { useApolloFederation } from '@envelop/apollo-federation';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { KeyValueStore } from '../lib/key-value-store.js';
import type { Logger } from '../lib/logger.js';
import type { TokenService } from '../lib/tokens.js';
import { commonYogaOptions } from '../lib/yoga-options.js';
import type { GatewayContext } from './context.js';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql.js';
import { SubgraphDataSource, type SubgraphRequestCounts } from './subgraph-data-source.js';

/**
 * An error a subgraph returned: the gateway wraps it in a GraphQLError that names the subgraph
 * (`extensions.serviceName`) and keeps the subgraph's JSON as `originalError`. The subgraph has
 * masked it already, so its message and code are meant for the client.
 */
function isSubgraphError(error: unknown): boolean {
  const extensions = (error as { extensions?: Record<string, unknown> } | null)?.extensions;
  return typeof extensions?.serviceName === 'string' && typeof extensions.code === 'string';
}

export const SUPERGRAPH_FILE = new URL('../supergraph.graphql', import.meta.url);

export interface Gateway {
  readonly yoga: YogaServerInstance<object, GatewayContext>;
  /** Requests sent to each subgraph so far. */
  readonly subgraphRequests: SubgraphRequestCounts;
  stop(): Promise<void>;
}

/**
 * The public GraphQL endpoint: Yoga in front, Apollo's query planner executing the composed
 * supergraph. `subgraphUrls` overrides the routing URLs baked into supergraph.graphql, so the
 * same file serves development, tests on random ports and deployments.
 */
export async function createGateway(deps: {
  subgraphUrls: Readonly<Record<string, string | undefined>>;
  tokens: TokenService;
  store: KeyValueStore;
  logger: Logger;
  graphiql: boolean;
  supergraphSdl?: string;
}): Promise<Gateway> {
  const logger = deps.logger.child({ component: 'gateway' });
  const subgraphRequests: SubgraphRequestCounts = new Map();
  const gateway = new ApolloGateway({
    supergraphSdl: deps.supergraphSdl ?? readFileSync(SUPERGRAPH_FILE, 'utf8'),
    buildService: ({ name, url }) => {
      const target = deps.subgraphUrls[name] ?? url;
      if (target === undefined) throw new Error(`No URL for subgraph "${name}"`);
      return new SubgraphDataSource(name, target, subgraphRequests);
    },
    logger: {
      debug: (message) => logger.debug(String(message)),
      info: (message) => logger.info(String(message)),
      warn: (message) => logger.warn(String(message)),
      error: (message) => logger.error(String(message)),
    },
  });
  await gateway.load();

  const common = commonYogaOptions({
    logger,
    isClientSafe: isSubgraphError,
    async isReady() {
      await deps.store.ping();
      return true;
    },
  });
  const yoga = createYoga<object, GatewayContext>({
    ...common,
    plugins: [...common.plugins, useApolloFederation({ gateway })],
    graphiql: deps.graphiql ? { title: 'ChitLaq Graph', defaultQuery: GRAPHIQL_DEFAULT_QUERY } : false,
    landingPage: false,
    context: async ({ request }: { request: Request }): Promise<GatewayContext> => ({
      viewer: await deps.tokens.viewerFromHeader(request.headers.get('authorization')),
    }),
  });
  return { yoga, subgraphRequests, stop: () => gateway.stop() };
}
