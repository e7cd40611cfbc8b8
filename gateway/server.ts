import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { useApolloFederation } from '@envelop/apollo-federation';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { type Config, DEFAULT_OPERATION_LIMITS, DEFAULT_PERSISTED_QUERIES } from '../lib/config.js';
import type { KeyValueStore } from '../lib/key-value-store.js';
import type { Logger } from '../lib/logger.js';
import type { TokenService, Viewer } from '../lib/tokens.js';
import { commonYogaOptions } from '../lib/yoga-options.js';
import type { GatewayContext } from './context.js';
import { FederatedSubscriptions } from './federated-subscriptions.js';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql.js';
import { useCompression } from './plugins/compression.js';
import { useCsrfPrevention } from './plugins/csrf-prevention.js';
import { useIntrospection } from './plugins/introspection.js';
import { useOperationLimits } from './plugins/operation-limits.js';
import { usePersistedQueries } from './plugins/persisted-queries.js';
import { createRateLimiters, useRateLimit } from './plugins/rate-limit.js';
import { requestLimitOptions } from './plugins/request-limits.js';
import { PresenceTracker } from './presence-tracker.js';
import { SubgraphDataSource, type SubgraphRequestCounts } from './subgraph-data-source.js';
import { UpstreamSubscriptions } from './upstream-subscriptions.js';
import { useFederatedSubscriptions } from './use-federated-subscriptions.js';
import { type GatewayWebSockets, serveGatewayWebSockets } from './websocket-server.js';

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
  /** Serves graphql-ws on the HTTP server that serves `yoga` (subscriptions, presence). */
  serveWebSockets(server: Server): GatewayWebSockets;
  stop(): Promise<void>;
}

/** What configures the gateway beyond its connections: every field comes from Config. */
export interface GatewaySettings {
  graphiql: boolean;
  /** See FederatedSubscriptions; on unless turned off (SUBSCRIPTION_SHARED_EXECUTION=false). */
  sharedSubscriptionExecution?: boolean;
  /** Edge protections (gateway/README.md); the defaults of lib/config.ts when absent. */
  operationLimits?: Config['operationLimits'];
  introspection?: boolean;
  /** Hides field suggestions ("Did you mean …?") from validation errors. */
  production?: boolean;
  /** Rate limits (gateway/plugins/rate-limit.ts), counted in Redis when `redisUrl` is set; none when absent. */
  rateLimit?: { limits: Config['rateLimit']; trustProxy: boolean; redisUrl: string | undefined };
  /** Automatic persisted queries, stored in `store`; the defaults of lib/config.ts when absent. */
  persistedQueries?: Config['persistedQueries'];
}

/**
 * The gateway's settings from config, in one place for every process that runs a gateway
 * (`npm start`'s platform and `npm run start:gateway`).
 */
export function gatewaySettingsFrom(config: Config): GatewaySettings {
  return {
    graphiql: config.graphiql,
    sharedSubscriptionExecution: config.realtime.sharedExecution,
    operationLimits: config.operationLimits,
    introspection: config.introspection,
    production: config.env === 'production',
    rateLimit: { limits: config.rateLimit, trustProxy: config.trustProxy, redisUrl: config.redis.url },
    persistedQueries: config.persistedQueries,
  };
}

/**
 * The public GraphQL endpoint: Yoga in front, Apollo's query planner executing the composed
 * supergraph. `subgraphUrls` overrides the routing URLs baked into supergraph.graphql, so the
 * same file serves development, tests on random ports and deployments.
 */
export async function createGateway(
  deps: GatewaySettings & {
    subgraphUrls: Readonly<Record<string, string | undefined>>;
    tokens: TokenService;
    store: KeyValueStore;
    logger: Logger;
    supergraphSdl?: string;
  },
): Promise<Gateway> {
  const logger = deps.logger.child({ component: 'gateway' });
  const subgraphRequests: SubgraphRequestCounts = new Map();
  const supergraphSdl = deps.supergraphSdl ?? readFileSync(SUPERGRAPH_FILE, 'utf8');
  const dataSources: Record<string, SubgraphDataSource> = {};
  // @apollo/gateway reports usage metrics to Apollo unless told not to, and on the way probes
  // cloud metadata servers (a warning on every start outside a cloud). ChitLaq does not phone
  // home by default; APOLLO_TELEMETRY_DISABLED=false turns Apollo's reporting back on.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const target = deps.subgraphUrls[name] ?? url;
      if (target === undefined) throw new Error(`No URL for subgraph "${name}"`);
      dataSources[name] = new SubgraphDataSource(name, target, subgraphRequests);
      return dataSources[name];
    },
    logger: {
      debug: (message) => logger.debug(String(message)),
      info: (message) => logger.info(String(message)),
      warn: (message) => logger.warn(String(message)),
      error: (message) => logger.error(String(message)),
    },
  });
  await gateway.load();
  const upstream = new UpstreamSubscriptions(deps.subgraphUrls, logger);
  const subscriptions = new FederatedSubscriptions({
    supergraphSdl,
    dataSources,
    upstream,
    logger,
    sharedExecution: deps.sharedSubscriptionExecution ?? true,
  });
  const presence = new PresenceTracker(deps.store, logger);
  const rateLimiters =
    deps.rateLimit === undefined ? undefined : createRateLimiters(deps.rateLimit.limits, deps.rateLimit.redisUrl, logger);

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
    ...requestLimitOptions(),
    plugins: [
      ...common.plugins,
      // Before compression: its ETag is computed over the plain body, and a 304 has none.
      usePersistedQueries({
        store: deps.store,
        logger,
        ...(deps.persistedQueries ?? DEFAULT_PERSISTED_QUERIES),
      }),
      useCompression(),
      useCsrfPrevention(),
      ...useOperationLimits(deps.operationLimits ?? DEFAULT_OPERATION_LIMITS, { production: deps.production ?? false }),
      ...useIntrospection(deps.introspection ?? true),
      // Before the executors: a refused operation never reaches a subgraph.
      ...(rateLimiters === undefined
        ? []
        : [useRateLimit(rateLimiters, { trustProxy: deps.rateLimit?.trustProxy ?? false, logger })]),
      useApolloFederation({ gateway }),
      useFederatedSubscriptions(subscriptions),
    ],
    graphiql: deps.graphiql
      ? { title: 'ChitLaq Graph', defaultQuery: GRAPHIQL_DEFAULT_QUERY, subscriptionsProtocol: 'WS' }
      : false,
    landingPage: false,
    // Over HTTP the viewer comes from the Authorization header; over a WebSocket the
    // connection authenticated once and passes its viewer in the initial context.
    context: async (initial: { request?: Request; viewer?: Viewer | null }): Promise<GatewayContext> => ({
      viewer:
        initial.viewer !== undefined
          ? initial.viewer
          : await deps.tokens.viewerFromHeader(initial.request?.headers.get('authorization')),
    }),
  });
  let websockets: GatewayWebSockets | undefined;
  return {
    yoga,
    subgraphRequests,
    serveWebSockets(server) {
      websockets = serveGatewayWebSockets(server, { yoga, tokens: deps.tokens, presence, logger });
      return websockets;
    },
    async stop() {
      await websockets?.close();
      await upstream.close();
      await presence.stop();
      await gateway.stop();
      await rateLimiters?.close();
    },
  };
}
