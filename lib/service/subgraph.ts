import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse } from 'graphql';
import { createYoga, type YogaInitialContext, type YogaServerInstance } from 'graphql-yoga';
import type { Kysely, Migration } from 'kysely';
import type { Database } from '../infra/db/database.js';
import { migrateSchema } from '../infra/db/migrate.js';
import { QueryStats } from '../infra/db/query-stats.js';
import type { KeyValueStore } from '../infra/key-value-store.js';
import { createServiceMetrics, observeDatabase, observeRedisErrors, type ServiceMetrics } from '../infra/metrics.js';
import type { PubSub } from '../infra/pubsub.js';
import { warnOnSlowStatements } from '../infra/slow-statements.js';
import type { Config } from '../kernel/config.js';
import type { Logger } from '../kernel/logger.js';
import type { TokenService, Viewer } from '../kernel/tokens.js';
import { type TouchingContext, useTouchedEntitiesExtension } from '../kernel/touched-entities.js';
import { viewerDependentFields } from '../kernel/viewer-dependence.js';
import { createRealtimeMetrics } from '../realtime/realtime-metrics.js';
import { loaderFactory, type MakeLoader } from './batch-loaders.js';
import { subgraphOperationLimits, useOperationLimits } from './operation-limits.js';
import { asksForPrimary, createReadRouting, useOperationKinds } from './read-routing.js';
import { SUBGRAPH_MAX_REQUEST_BODY_BYTES } from './request-limits.js';
import { useSignedRequestsOnly } from './signed-requests.js';
import { serveSubgraphWebSockets, type WebSocketEndpoint } from './subgraph-websockets.js';
import { commonYogaOptions } from './yoga-options.js';

/** What every subgraph factory receives: the same for all three, so they are built alike. */
export interface SubgraphDeps {
  readonly config: Config;
  readonly database: Database;
  readonly store: KeyValueStore;
  /** Messages between processes (new messages, typing): Redis, or in-process when embedded. */
  readonly pubsub: PubSub;
  readonly tokens: TokenService;
  readonly logger: Logger;
  /** Where the other subgraphs answer (e.g. the messages subgraph checks user ids with users). */
  readonly subgraphUrls: SubgraphUrls;
}

export interface SubgraphUrls {
  readonly users: string;
  readonly posts: string;
  readonly messages: string;
}

export type SubgraphYoga = YogaServerInstance<object, object>;

/** A built subgraph, ready to be served on a port. */
export interface Subgraph {
  readonly yoga: SubgraphYoga;
  /** SQL statements this subgraph has executed (tests prove batching with it). */
  readonly queryStats: QueryStats;
  /** Its Prometheus registry (served at /metrics): operations, SQL statement durations, pool. */
  readonly metrics: ServiceMetrics;
  /**
   * Serves the same schema over graphql-ws at /graphql on `server` (subscriptions; the viewer
   * comes per operation in `extensions.authorization`, see subgraph-websockets.ts).
   */
  serveWebSockets(server: Server): WebSocketEndpoint;
}

/**
 * What makes one subgraph: its Postgres schema and migrations, its federation schema file and
 * resolvers, its long-lived services and its per-request context. Everything else (migrating,
 * statement counting, auth, masking, health) is the same for all subgraphs and lives here.
 */
export interface SubgraphDefinition<DB, S, C> {
  /** Also the Postgres schema it owns. */
  readonly name: string;
  readonly schemaFile: URL;
  readonly migrations: Record<string, Migration>;
  readonly resolvers: unknown;
  /**
   * `db` is the primary: long-lived services write (batchers, senders) or must see every write.
   * `makeLoader` builds the per-request DataLoaders (their batch sizes are measured); keep it in the services.
   */
  createServices(db: Kysely<DB>, deps: SubgraphDeps & { logger: Logger; makeLoader: MakeLoader }): S | Promise<S>;
  /** `db` is the database of this one operation, primary or replica (lib/service/read-routing.ts). */
  createContext(services: S, viewer: Viewer | null, db: Kysely<DB>): C;
}

/**
 * Migrates the subgraph's schema, then builds its HTTP face: only requests signed by the gateway
 * (lib/service/signed-requests.ts), operation limits of its own, the federation schema, the viewer
 * taken from the bearer token the gateway forwards (verified here again, so a forged header
 * from outside is worthless), one typed context per request, masked errors, /healthz, /readyz.
 * Its WebSocket face (`serveWebSockets`) runs the same schema with the same contexts.
 */
export async function createSubgraph<DB, S, C extends TouchingContext>(
  definition: SubgraphDefinition<DB, S, C>,
  deps: SubgraphDeps,
): Promise<Subgraph> {
  const logger = deps.logger.child({ subgraph: definition.name });
  const applied = await migrateSchema(deps.database.kysely, definition.name, definition.migrations);
  if (applied.length > 0) logger.info({ migrations: applied }, `${definition.name} schema migrated`);

  const queryStats = new QueryStats();
  const db = deps.database.kysely.withPlugin(queryStats) as unknown as Kysely<DB>;
  const replica = deps.database.replica?.withPlugin(queryStats) as unknown as Kysely<DB> | undefined;
  const routing = createReadRouting({
    hasReplica: replica !== undefined,
    store: deps.store,
    windowMs: deps.config.database.readYourWritesMs,
    namespace: deps.config.cache.namespace,
    logger,
  });
  const operationKinds = useOperationKinds();
  const metrics = createServiceMetrics(definition.name);
  const realtimeMetrics = createRealtimeMetrics(metrics.registry);
  observeDatabase(metrics, deps.database, (query) => queryStats.owns(query));
  observeRedisErrors(metrics, { store: deps.store, pubsub: deps.pubsub });
  warnOnSlowStatements(deps.database, (query) => queryStats.owns(query), logger, deps.config.log.slowQueryMs);
  const services = await definition.createServices(db, { ...deps, logger, makeLoader: loaderFactory(metrics) });

  const signingSecret = deps.config.subgraphSigning.secret;
  const sdl = readFileSync(definition.schemaFile, 'utf8');
  const typeDefs = parse(sdl);
  const schema = buildSubgraphSchema({ typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> });
  const common = commonYogaOptions({
    logger,
    metrics,
    serviceName: definition.name,
    slowRequestMs: deps.config.log.slowRequestMs,
    async isReady() {
      await Promise.all([deps.database.ping(), deps.store.ping()]);
      return true;
    },
  });
  const yoga = createYoga<object, object>({
    ...common,
    plugins: [
      ...common.plugins,
      // Only the gateway (and the other subgraphs) may call a subgraph; checked before parsing.
      useSignedRequestsOnly({ secret: signingSecret, endpoint: '/graphql', maxBodyBytes: SUBGRAPH_MAX_REQUEST_BODY_BYTES }),
      // Its own limits too, sized to pass every query plan of an operation the gateway accepts.
      ...useOperationLimits(subgraphOperationLimits(deps.config.operationLimits), {
        production: deps.config.env === 'production',
      }),
      useTouchedEntitiesExtension(),
      operationKinds.plugin,
    ],
    // useSignedRequestsOnly reads every /graphql body, bounded by SUBGRAPH_MAX_REQUEST_BODY_BYTES
    // (413), before Yoga would: Yoga's own limit only wrapped the body already read in a stream
    // pipeline per request (an AbortController and a DOMException each, 5 % of a subgraph's CPU).
    maxRequestBodySize: false,
    // The gateway sends one operation per request.
    batching: false,
    schema,
    graphiql: false,
    landingPage: false,
    context: async (initial: YogaInitialContext) => {
      const viewer = await deps.tokens.viewerFromHeader(initial.request.headers.get('authorization'));
      const pool = await routing.choose(operationKinds.kindOf(initial), viewer, asksForPrimary(initial.params));
      return definition.createContext(services, viewer, pool === 'replica' && replica !== undefined ? replica : db);
    },
  });
  return {
    yoga,
    queryStats,
    metrics,
    serveWebSockets: (server) =>
      serveSubgraphWebSockets(server, {
        schema,
        tokens: deps.tokens,
        signingSecret,
        logger,
        // Subscriptions (what the gateway sends over WebSocket) read from the primary (read-routing.ts).
        createContext: (viewer) => definition.createContext(services, viewer, db),
        viewerDependentFields: viewerDependentFields(sdl),
        metrics: realtimeMetrics,
      }),
  };
}
