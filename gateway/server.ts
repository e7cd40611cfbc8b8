import type { RequestListener, Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { KeyValueStore } from '../lib/infra/key-value-store.js';
import {
  countClientErrors,
  createServiceMetrics,
  createSubgraphFetchMetrics,
  observeRedisErrors,
  type ServiceMetrics,
} from '../lib/infra/metrics.js';
import type { Config } from '../lib/kernel/config.js';
import type { Logger } from '../lib/kernel/logger.js';
import type { TokenService, Viewer } from '../lib/kernel/tokens.js';
import { TouchedEntities } from '../lib/kernel/touched-entities.js';
import { createRealtimeMetrics } from '../lib/realtime/realtime-metrics.js';
import { READ_FROM_PRIMARY_EXTENSION } from '../lib/service/read-routing.js';
import { commonYogaOptions, createErrorMasker } from '../lib/service/yoga-options.js';
import type { GatewayContext } from './context.js';
import { cachingDataSources } from './entity-cache/caching-data-source.js';
import { EntityCache, openEntityCacheStore } from './entity-cache/entity-cache.js';
import { createEntityCacheCounters } from './entity-cache/metrics.js';
import { shapeContextOf } from './entity-cache/shape-context.js';
import { FederatedSubscriptions } from './federated-subscriptions.js';
import { type DemoLogin, graphiqlOptions, subscriptionsProtocolOf } from './graphiql.js';
import { useCompression } from './plugins/compression.js';
import { useCsrfPrevention } from './plugins/csrf-prevention.js';
import { createDocumentCounters } from './plugins/document-metrics.js';
import { useEntityCacheInvalidation } from './plugins/entity-cache.js';
import { useEventStreamHeaders } from './plugins/event-stream-headers.js';
import { useFederationExecutor } from './plugins/federation-executor.js';
import { serveGraphiQL } from './plugins/graphiql-page.js';
import { useIntrospection } from './plugins/introspection.js';
import { useOperationLimits } from './plugins/operation-limits.js';
import { usePersistedQueries } from './plugins/persisted-queries.js';
import { createLimitCheck, createRateLimiters, useRateLimit } from './plugins/rate-limit.js';
import { requestLimitOptions } from './plugins/request-limits.js';
import { createResponseCache, INVALIDATION_GUARD_MS, useResponseCache } from './plugins/response-cache.js';
import { loadTrustedDocuments, useTrustedDocuments } from './plugins/trusted-documents.js';
import { PresenceTracker } from './presence-tracker.js';
import type { ResponseCacheStore } from './response-cache/cache-store.js';
import { EarlyHits } from './response-cache/early-hits.js';
import type { ResponseCache } from './response-cache/guarded-cache.js';
import { createResponseCacheCounters } from './response-cache/metrics.js';
import { openResponseCacheStore } from './response-cache/open-store.js';
import { ViewerHoles } from './response-cache/viewer-holes.js';
import { DEFAULT_RESUME_POLICY } from './resuming-upstream.js';
import { ServedSupergraph, type SupergraphGeneration } from './served-supergraph.js';
import { SubgraphDataSource, type SubgraphRequestCounts } from './subgraph-data-source.js';
import { createSupergraphMetrics } from './supergraph-metrics.js';
import { readSupergraph, type SupergraphSource, type SupergraphWatch, watchSupergraph } from './supergraph-source.js';
import { UpstreamSubscriptions } from './upstream-subscriptions.js';
import { useFederatedSubscriptions } from './use-federated-subscriptions.js';
import { existingIdsFrom, USER_ENTITIES_QUERY, ViewerAccounts } from './viewer-accounts.js';
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
  /** What the HTTP server runs: response-cache hits answered early (response-cache/early-hits.ts), the rest by `yoga`. */
  readonly handler: RequestListener;
  /** Requests sent to each subgraph so far. */
  readonly subgraphRequests: SubgraphRequestCounts;
  /** Its Prometheus registry (served at /metrics); register more with `registers: [metrics.registry]`. */
  readonly metrics: ServiceMetrics;
  /** The supergraph served now, and the ones requests in flight still run on. */
  readonly supergraph: ServedSupergraph;
  /** Serves graphql-ws on the HTTP server that serves `yoga` (subscriptions, presence). */
  serveWebSockets(server: Server): GatewayWebSockets;
  /**
   * Reads the supergraph source again and serves what it holds if it changed (SIGHUP); a
   * supergraph that cannot be served is logged and the current one kept.
   */
  reloadSupergraph(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What configures the gateway beyond its connections: every field comes from Config, through
 * gatewaySettingsFrom, so each default is lib/kernel/config.ts's and nowhere else.
 */
export interface GatewaySettings {
  graphiql: boolean;
  /** See FederatedSubscriptions (SUBSCRIPTION_SHARED_EXECUTION). */
  sharedSubscriptionExecution: boolean;
  /** How long a subscription resubscribes to a subgraph it lost (SUBSCRIPTION_RESUME_WINDOW_MS; 0: never). */
  subscriptionResumeWindowMs: number;
  /** Edge protections (gateway/README.md). */
  operationLimits: Config['operationLimits'];
  introspection: boolean;
  /** Signs every request to a subgraph (SUBGRAPH_SIGNING_SECRET); unsigned when undefined. */
  subgraphSigningSecret: string | undefined;
  /** Hides field suggestions ("Did you mean …?") from validation errors. */
  production: boolean;
  /** Rate limits (gateway/plugins/rate-limit.ts), counted in Redis when `redisUrl` is set. */
  rateLimit: { limits: Config['rateLimit']; trustProxy: boolean; redisUrl: string | undefined };
  /** Automatic persisted queries, stored in `store`. */
  persistedQueries: Config['persistedQueries'];
  /** Run only the operations of the trusted-documents manifest (clients/generated/). */
  persistedOperationsOnly: boolean;
  /** WebSocket heartbeat and caps. */
  webSockets: Config['webSockets'];
  /** The response cache, in Redis when `redisUrl` is set; none when disabled. */
  responseCache: Config['responseCache'] & { redisUrl: string | undefined; namespace: string };
  /** The entity cache (gateway/entity-cache/), in Redis when `redisUrl` is set; none when disabled. */
  entityCache: Config['entityCache'];
  /** Deadline of each subgraph fetch (SUBGRAPH_TIMEOUT_MS). */
  subgraphTimeoutMs: number;
  /** Identical subgraph queries in flight at once share one request (SUBGRAPH_QUERY_DEDUPLICATION). */
  subgraphQueryDeduplication: boolean;
  /** Requests answered this late or later log a warning (SLOW_REQUEST_MS). */
  slowRequestMs: number;
  /** Where the supergraph is read, and whether changes are served without a restart. */
  supergraph: Config['supergraph'];
}

/**
 * The gateway's settings from config, in one place for every process that runs a gateway
 * (`npm start`'s platform and `npm run start:gateway`).
 */
export function gatewaySettingsFrom(config: Config): GatewaySettings {
  return {
    graphiql: config.graphiql,
    sharedSubscriptionExecution: config.realtime.sharedExecution,
    subscriptionResumeWindowMs: config.realtime.resumeWindowMs,
    operationLimits: config.operationLimits,
    introspection: config.introspection,
    subgraphSigningSecret: config.subgraphSigning.secret,
    production: config.env === 'production',
    rateLimit: { limits: config.rateLimit, trustProxy: config.trustProxy, redisUrl: config.redis.url },
    persistedQueries: config.persistedQueries,
    persistedOperationsOnly: config.persistedOperationsOnly,
    webSockets: config.webSockets,
    responseCache: { ...config.responseCache, redisUrl: config.redis.url, namespace: config.cache.namespace },
    entityCache: config.entityCache,
    subgraphTimeoutMs: config.subgraphTimeoutMs,
    subgraphQueryDeduplication: config.subgraphQueryDeduplication,
    slowRequestMs: config.log.slowRequestMs,
    supergraph: config.supergraph,
  };
}

/** The entity cache of `settings`: its entries live as long as the response cache's TTLs say, its invalidations are remembered as long. */
function openEntityCache(settings: GatewaySettings, metrics: ServiceMetrics, logger: Logger): EntityCache {
  const { ttlSeconds, defaultTtlSeconds, redisTimeoutMs } = settings.responseCache;
  const store = openEntityCacheStore(
    {
      ...settings.entityCache,
      redisUrl: settings.responseCache.redisUrl,
      namespace: settings.responseCache.namespace,
      redisTimeoutMs,
      maxTtlMs: Math.max(defaultTtlSeconds, ...Object.values(ttlSeconds)) * 1000,
      guardMs: INVALIDATION_GUARD_MS,
    },
    logger,
  );
  return new EntityCache(store, {
    counters: createEntityCacheCounters(metrics.registry),
    logger,
    guardMs: INVALIDATION_GUARD_MS,
  });
}

/** Where `settings` say the supergraph is: a URL polled, else a file (this repository's supergraph.graphql by default). */
export function supergraphSourceOf(settings: Config['supergraph']): SupergraphSource {
  if (settings.url !== undefined) return { url: settings.url, pollIntervalMs: settings.pollIntervalMs };
  return { file: settings.file ?? fileURLToPath(SUPERGRAPH_FILE) };
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
    /** Served as given, never reloaded; else read from `supergraph` (GatewaySettings). */
    supergraphSdl?: string;
    /** The gateway's metrics (lib/infra/metrics.ts); a new registry for service "gateway" when absent. */
    metrics?: ServiceMetrics;
    /** The demo account GraphiQL's examples sign in with, read each time the page is served; none when absent. */
    demoLogin?: () => DemoLogin | null;
  },
): Promise<Gateway> {
  const logger = deps.logger.child({ component: 'gateway' });
  const subgraphRequests: SubgraphRequestCounts = new Map();
  const metrics = deps.metrics ?? createServiceMetrics('gateway');
  const subgraphFetches = createSubgraphFetchMetrics(metrics);
  const realtimeMetrics = createRealtimeMetrics(metrics.registry);
  const documentCounters = createDocumentCounters(metrics.registry);
  observeRedisErrors(metrics, { store: deps.store });
  const supergraphMetrics = createSupergraphMetrics(metrics.registry);
  const source = deps.supergraphSdl === undefined ? supergraphSourceOf(deps.supergraph) : undefined;
  const supergraphSdl = deps.supergraphSdl ?? (await readSupergraph(source as SupergraphSource));
  const trustedDocuments = loadTrustedDocuments();
  const apolloLogger = {
    debug: (message: unknown) => logger.debug(String(message)),
    info: (message: unknown) => logger.info(String(message)),
    warn: (message: unknown) => logger.warn(String(message)),
    error: (message: unknown) => logger.error(String(message)),
  };
  const entityCache = deps.entityCache?.enabled === true ? openEntityCache(deps, metrics, logger) : undefined;
  const served = new ServedSupergraph({
    sdl: supergraphSdl,
    subgraphUrls: deps.subgraphUrls,
    makeDataSource: (name, url) =>
      new SubgraphDataSource(name, url, subgraphRequests, subgraphFetches, {
        timeoutMs: deps.subgraphTimeoutMs,
        deduplicateQueries: deps.subgraphQueryDeduplication,
        logger,
        signingSecret: deps.subgraphSigningSecret,
      }),
    ...(entityCache === undefined
      ? {}
      : {
          forExecution: (dataSources, generation) =>
            cachingDataSources(dataSources, {
              cache: entityCache,
              supergraph: generation.hash,
              shapes: shapeContextOf(generation.loaded, generation.viewerDependent, deps.responseCache.ttlSeconds),
              defaultTtlSeconds: deps.responseCache.defaultTtlSeconds,
            }),
        }),
    apolloLogger,
    logger,
  });
  supergraphMetrics.serving(served.current);
  const upstream = new UpstreamSubscriptions(logger, deps.subgraphSigningSecret);
  const subscriptions = new FederatedSubscriptions({
    served,
    upstream,
    logger,
    sharedExecution: deps.sharedSubscriptionExecution,
    onResume: (subgraph, outcome) => supergraphMetrics.resume(subgraph, outcome),
    resumePolicy: { ...DEFAULT_RESUME_POLICY, windowMs: deps.subscriptionResumeWindowMs },
  });
  // After Yoga took the new schema (useFederationExecutor registers first, at plugin init).
  const onReplaced = (next: SupergraphGeneration) => {
    supergraphMetrics.serving(next);
    const outcomes = subscriptions.reloaded(next);
    supergraphMetrics.subscriptionsReloaded(outcomes);
    logger.info({ generation: next.number, hash: next.hash, subscriptions: outcomes }, 'serving a new supergraph');
  };
  /** The last text refused: read again (a file event and a SIGHUP, each poll), it is not refused and logged again. */
  let refusedSdl: string | undefined;
  const applySupergraph = (sdl: string) => {
    if (sdl === refusedSdl) return;
    try {
      if (served.replace(sdl)) supergraphMetrics.reload('applied');
      refusedSdl = undefined;
    } catch (error) {
      refusedSdl = sdl;
      supergraphMetrics.reload('failed');
      logger.error(
        { err: error, generation: served.current.number, hash: served.current.hash },
        'the new supergraph cannot be served; serving the current one',
      );
    }
  };
  const supergraphWatch: SupergraphWatch | undefined =
    source === undefined ? undefined : watchSupergraph(source, { watch: deps.supergraph.watch, logger, onText: applySupergraph });
  const responseCacheStore: ResponseCacheStore | undefined =
    deps.responseCache?.enabled === true
      ? openResponseCacheStore({ ...deps.responseCache, guardMs: INVALIDATION_GUARD_MS }, logger)
      : undefined;
  // A user's cached `online` must change when they connect or leave, not when its TTL ends.
  const presence = new PresenceTracker(deps.store, logger, {
    onChange: async (userId) => {
      await Promise.all([
        responseCacheStore?.invalidate([{ typename: 'User', id: userId }]).catch((error: unknown) => {
          logger.warn({ err: error, userId }, 'could not invalidate cached presence');
        }),
        entityCache?.invalidate([{ typename: 'User', id: userId }]),
      ]);
    },
  });
  const accounts = new ViewerAccounts(async (ids) => {
    const users = served.current.dataSources.users;
    if (users === undefined) throw new Error('the supergraph has no users subgraph');
    // SubgraphDataSource reads only the request and the context of what Apollo passes it.
    const response = await users.process({
      request: {
        query: USER_ENTITIES_QUERY,
        variables: { r: ids.map((id) => ({ __typename: 'User', id })) },
        // An account registered a moment ago may not have reached a read replica yet.
        extensions: { [READ_FROM_PRIMARY_EXTENSION]: true },
      },
      context: {},
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    if ((response.errors?.length ?? 0) > 0) throw new Error(`users subgraph: ${response.errors?.[0]?.message}`);
    return existingIdsFrom(ids, response.data);
  }, logger);
  /** Who a bearer token speaks for, over HTTP and WebSocket alike: a verified token of an account that exists. */
  const authenticate = async (header: string | null | undefined) =>
    accounts.requireExisting(await deps.tokens.viewerFromHeader(header));
  const rateLimiters =
    deps.rateLimit === undefined
      ? undefined
      : createRateLimiters(deps.rateLimit.limits, deps.rateLimit.redisUrl, logger, deps.responseCache.namespace);

  const common = commonYogaOptions({
    logger,
    metrics,
    slowRequestMs: deps.slowRequestMs,
    isClientSafe: isSubgraphError,
    async isReady() {
      await deps.store.ping();
      return true;
    },
  });
  const graphiql = deps.graphiql
    ? serveGraphiQL((request) =>
        graphiqlOptions({
          demoLogin: deps.demoLogin?.() ?? null,
          subscriptionsProtocol: subscriptionsProtocolOf(new URL(request.url)),
        }),
      )
    : undefined;
  const responseCache =
    responseCacheStore === undefined
      ? undefined
      : createResponseCache(responseCacheStore, { logger, counters: createResponseCacheCounters(metrics.registry) });
  const viewerHoles = new WeakMap<SupergraphGeneration, ViewerHoles>();
  /** A generation's viewer holes, filled through its own data sources (not the entity cache: a viewer's values are never cached). */
  const viewerHolesOf = (generation: SupergraphGeneration): ViewerHoles => {
    let holes = viewerHoles.get(generation);
    if (holes === undefined) {
      holes = new ViewerHoles(generation.loaded, generation.viewerDependent, generation.dataSources);
      viewerHoles.set(generation, holes);
    }
    return holes;
  };
  const earlyHits =
    responseCache === undefined || deps.responseCache?.earlyHits !== true
      ? undefined
      : new EarlyHits({
          cache: responseCache,
          currentSupergraph: () => served.current.hash,
          authenticate: (header) => authenticate(header),
          limit:
            rateLimiters === undefined
              ? undefined
              : {
                  check: createLimitCheck(rateLimiters, { logger, metrics }),
                  limiters: rateLimiters,
                  trustProxy: deps.rateLimit.trustProxy,
                },
          metrics,
        });
  const yoga = createYoga<object, GatewayContext>({
    ...common,
    ...requestLimitOptions(),
    plugins: [
      ...common.plugins,
      // Before persisted queries, so a refused document is never registered.
      useTrustedDocuments(trustedDocuments, { only: deps.persistedOperationsOnly, counters: documentCounters }),
      // Before compression: its ETag is computed over the plain body, and a 304 has none.
      usePersistedQueries({
        store: deps.store,
        logger,
        trusted: trustedDocuments,
        counters: documentCounters,
        ...deps.persistedQueries,
      }),
      // Before compression: it sends the page compressed once, not on every request.
      ...(graphiql === undefined ? [] : [graphiql.plugin]),
      useCompression(),
      useEventStreamHeaders(),
      useCsrfPrevention(),
      ...useOperationLimits(deps.operationLimits, { production: deps.production }),
      ...useIntrospection(deps.introspection),
      // Before the executors: a refused operation never reaches a subgraph.
      ...(rateLimiters === undefined
        ? []
        : [useRateLimit(rateLimiters, { trustProxy: deps.rateLimit.trustProxy, logger, metrics })]),
      useFederationExecutor(served),
      ...(entityCache === undefined ? [] : [useEntityCacheInvalidation(entityCache)]),
      // After the executor it wraps (it answers a hit instead of calling it) and after the rate
      // limit (a refused request costs nothing).
      ...(responseCache === undefined || deps.responseCache === undefined
        ? []
        : useResponseCache({
            cache: responseCache as ResponseCache,
            ...(earlyHits === undefined ? {} : { earlyHits }),
            supergraphOf: (schema) => served.ofSchema(schema),
            accessOf: (schema) => served.ofSchema(schema).loaded.access,
            viewerHolesOf: (schema) => viewerHolesOf(served.ofSchema(schema)),
            defaultTtlSeconds: deps.responseCache.defaultTtlSeconds,
            ttlSeconds: deps.responseCache.ttlSeconds,
          })),
      useFederatedSubscriptions(subscriptions),
    ],
    graphiql: graphiql?.options ?? false,
    ...(graphiql === undefined ? {} : { renderGraphiQL: graphiql.render }),
    landingPage: false,
    // Over HTTP the viewer comes from the Authorization header; over a WebSocket the
    // connection authenticated once and passes its viewer in the initial context.
    context: async (initial: { request?: Request; viewer?: Viewer | null }): Promise<GatewayContext> => ({
      touched: new TouchedEntities(),
      viewer: initial.viewer !== undefined ? initial.viewer : await authenticate(initial.request?.headers.get('authorization')),
    }),
  });
  served.onReplaced(onReplaced);
  let websockets: GatewayWebSockets | undefined;
  return {
    yoga,
    handler: earlyHits === undefined ? yoga : earlyHits.handler(yoga),
    subgraphRequests,
    metrics,
    supergraph: served,
    reloadSupergraph: async () => {
      await supergraphWatch?.check();
    },
    serveWebSockets(server) {
      websockets = serveGatewayWebSockets(server, {
        yoga,
        authenticate,
        presence,
        logger,
        maskError: createErrorMasker(logger, isSubgraphError),
        limits: deps.webSockets,
        trustProxy: deps.rateLimit.trustProxy,
        metrics: realtimeMetrics,
        countErrors: (errors) => countClientErrors(metrics, errors),
      });
      return websockets;
    },
    async stop() {
      supergraphWatch?.close();
      await websockets?.close();
      await upstream.close();
      await presence.stop();
      await served.close();
      await rateLimiters?.close();
      await responseCacheStore?.close();
      await entityCache?.close();
    },
  };
}
