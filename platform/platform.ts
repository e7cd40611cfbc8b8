import { existsSync } from 'node:fs';
import type { DemoLogin } from '../gateway/graphiql.js';
import { createGateway, type Gateway, gatewaySettingsFrom } from '../gateway/server.js';
import type { GatewayWebSockets } from '../gateway/websocket-server.js';
import { type Database, embeddedDataDir, type InMemoryDatabase, openDatabase } from '../lib/infra/db/database.js';
import type { QueryStats } from '../lib/infra/db/query-stats.js';
import { startHttpServer } from '../lib/infra/http-server.js';
import { type KeyValueStore, openKeyValueStore } from '../lib/infra/key-value-store.js';
import type { ServiceMetrics } from '../lib/infra/metrics.js';
import { openPubSub, type PubSub } from '../lib/infra/pubsub.js';
import type { Config } from '../lib/kernel/config.js';
import type { Logger } from '../lib/kernel/logger.js';
import { createTokenService, type TokenService } from '../lib/kernel/tokens.js';
import { subgraphUrlsFrom } from '../lib/service/service-runtime.js';
import type { Subgraph, SubgraphDeps, SubgraphUrls } from '../lib/service/subgraph.js';
import type { WebSocketEndpoint } from '../lib/service/subgraph-websockets.js';
import { createMessagesSubgraph } from '../subgraphs/messages/server.js';
import { createPostsSubgraph } from '../subgraphs/posts/server.js';
import { createUsersSubgraph } from '../subgraphs/users/server.js';

/** The subgraphs `npm start` runs, in migration order (posts reads a view that users creates). */
const SUBGRAPHS = [
  { name: 'users', port: (config: Config) => config.ports.users, create: createUsersSubgraph },
  { name: 'posts', port: (config: Config) => config.ports.posts, create: createPostsSubgraph },
  { name: 'messages', port: (config: Config) => config.ports.messages, create: createMessagesSubgraph },
] as const satisfies readonly {
  name: string;
  port: (config: Config) => number;
  create: (deps: SubgraphDeps) => Promise<Subgraph>;
}[];

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

export interface RunningSubgraph {
  readonly url: string;
  readonly queryStats: QueryStats;
  /** Its own Prometheus registry, served at /metrics on its port. */
  readonly metrics: ServiceMetrics;
  /** Its graphql-ws endpoint (tests close it to cut the gateway's subscriptions). */
  readonly webSockets: WebSocketEndpoint;
}

/** The whole platform in one process: what `npm start` and the tests run. */
export interface Platform {
  /** http://localhost:<port>/graphql of the gateway. */
  readonly gatewayUrl: string;
  readonly gatewayOrigin: string;
  readonly gateway: Gateway;
  readonly subgraphs: Readonly<Record<SubgraphName, RunningSubgraph>>;
  readonly database: Database;
  readonly store: KeyValueStore;
  /** The one pub/sub every subgraph of this process shares. */
  readonly pubsub: PubSub;
  readonly tokens: TokenService;
  /** Makes GraphiQL's examples sign in with this account (the demo data `npm start` seeds). */
  announceDemoLogin(login: DemoLogin): void;
  stop(): Promise<void>;
}

function databaseStep(config: Config, inMemory: boolean): string {
  if (config.database.url !== undefined) return 'connecting to PostgreSQL';
  if (inMemory) return 'starting embedded PostgreSQL in memory';
  return existsSync(embeddedDataDir(config.database.dataDir))
    ? `opening embedded PostgreSQL in ${config.database.dataDir}`
    : `creating embedded PostgreSQL in ${config.database.dataDir} (first start only; the slowest step)`;
}

/**
 * Opens the database, the key-value store and the pub/sub, builds each subgraph (migrating its schema) and
 * starts it on its port, then the gateway pointed at them. Port 0 picks a free port (tests).
 * Everything shares one database handle: with PGlite that is a requirement (one session per
 * data directory), with PostgreSQL it simply shares the pool.
 */
export async function startPlatform(
  config: Config,
  logger: Logger,
  options: { inMemoryDatabase?: InMemoryDatabase; onStep?: (step: string) => void } = {},
): Promise<Platform> {
  const step = options.onStep ?? (() => undefined);
  step(databaseStep(config, (options.inMemoryDatabase ?? false) !== false));
  // One process runs every subgraph here, so its connections carry the platform's name.
  const database = await openDatabase({ ...config.database, inMemory: options.inMemoryDatabase ?? false }, logger, {
    applicationName: 'chitlaq-platform',
  });
  const store = openKeyValueStore(config.redis.url, logger);
  const pubsub = openPubSub(config.redis.url, logger);
  const tokens = createTokenService(config.auth);
  /** What stop() closes, in order. */
  const servers: { close(): Promise<void> }[] = [];
  let gateway: Gateway | undefined;
  let gatewaySockets: GatewayWebSockets | undefined;
  let demoLogin: DemoLogin | null = null;
  const stop = async () => {
    // WebSocket clients first (told to reconnect), then the gateway, so no request reaches a
    // subgraph that is already gone.
    await gatewaySockets?.close();
    for (const server of servers) await server.close();
    await gateway?.stop();
    await pubsub.close();
    await store.close();
    await database.close();
  };
  try {
    // Subgraphs start in order, each knowing the URLs of those before it (messages asks users).
    let subgraphUrls: SubgraphUrls = subgraphUrlsFrom(config);
    const subgraphs = {} as Record<SubgraphName, RunningSubgraph>;
    for (const definition of SUBGRAPHS) {
      step(`${definition.name} subgraph: migrating its schema and starting`);
      const subgraph = await definition.create({ config, database, store, pubsub, tokens, logger, subgraphUrls });
      // Loopback unless configured otherwise (config.subgraphHosts): only the gateway calls a subgraph.
      const server = await startHttpServer(subgraph.yoga, {
        port: definition.port(config),
        host: config.subgraphHosts[definition.name],
      });
      // The WebSocket endpoint closes before its HTTP server: an open socket keeps the server open.
      const webSockets = subgraph.serveWebSockets(server.server);
      servers.push(webSockets, server);
      const url = `${server.origin}/graphql`;
      subgraphUrls = { ...subgraphUrls, [definition.name]: url };
      subgraphs[definition.name] = { url, queryStats: subgraph.queryStats, metrics: subgraph.metrics, webSockets };
    }
    step('gateway: composing the supergraph and starting');
    gateway = await createGateway({
      subgraphUrls: Object.fromEntries(Object.entries(subgraphs).map(([name, subgraph]) => [name, subgraph.url])),
      tokens,
      store,
      logger,
      demoLogin: () => demoLogin,
      ...gatewaySettingsFrom(config),
    });
    const gatewayServer = await startHttpServer(gateway.handler, { port: config.ports.gateway, host: config.host });
    servers.unshift(gatewayServer);
    gatewaySockets = gateway.serveWebSockets(gatewayServer.server);
    return {
      gatewayUrl: `${gatewayServer.origin}/graphql`,
      gatewayOrigin: gatewayServer.origin,
      gateway,
      subgraphs,
      database,
      store,
      pubsub,
      tokens,
      announceDemoLogin(login) {
        demoLogin = { email: login.email, password: login.password };
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
