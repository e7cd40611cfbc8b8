import { openDatabase } from '../infra/db/database.js';
import { startHttpServer } from '../infra/http-server.js';
import { openKeyValueStore } from '../infra/key-value-store.js';
import { openPubSub } from '../infra/pubsub.js';
import { exitOnStartupError, onShutdownSignal } from '../infra/shutdown.js';
import type { Config } from '../kernel/config.js';
import { loadConfig } from '../kernel/config.js';
import { createLogger, type Logger } from '../kernel/logger.js';
import { createTokenService } from '../kernel/tokens.js';
import type { Subgraph, SubgraphDeps, SubgraphUrls } from './subgraph.js';

/** Each subgraph's URL from config: the *_URL variable, or this host at the subgraph's port. */
export function subgraphUrlsFrom(config: Config): SubgraphUrls {
  const local = (port: number) => `http://localhost:${port}/graphql`;
  return {
    users: config.subgraphUrls.users ?? local(config.ports.users),
    posts: config.subgraphUrls.posts ?? local(config.ports.posts),
    messages: config.subgraphUrls.messages ?? local(config.ports.messages),
  };
}

/**
 * Runs one subgraph as its own process (a multi-instance deployment): `subgraphs/<name>/main.ts`.
 * Standalone processes need the real servers: an embedded PGlite directory can have only one
 * owner, and in-memory state is invisible to other processes.
 */
export function runSubgraphProcess(options: {
  /** Also picks where it listens (config.subgraphHosts): loopback unless configured otherwise. */
  name: keyof Config['subgraphHosts'];
  port: (config: Config) => number;
  create: (deps: SubgraphDeps) => Promise<Pick<Subgraph, 'yoga' | 'serveWebSockets'>>;
}): void {
  const main = async () => {
    const config = loadConfig();
    const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: options.name });
    if (config.database.url === undefined) {
      throw new Error(
        'DATABASE_URL: required to run a subgraph as its own process (`npm start` runs everything on the embedded database)',
      );
    }
    warnWithoutRedis(config, logger);
    const database = await openDatabase(config.database, logger, { applicationName: `chitlaq-${options.name}` });
    const store = openKeyValueStore(config.redis.url, logger);
    const pubsub = openPubSub(config.redis.url, logger);
    const subgraph = await options.create({
      config,
      database,
      store,
      pubsub,
      tokens: createTokenService(config.auth),
      logger,
      subgraphUrls: subgraphUrlsFrom(config),
    });
    const server = await startHttpServer(subgraph.yoga, { port: options.port(config), host: config.subgraphHosts[options.name] });
    const webSockets = subgraph.serveWebSockets(server.server);
    logger.info(`${options.name} subgraph ready at ${server.origin}/graphql (HTTP and WebSocket)`);
    onShutdownSignal(
      logger,
      async () => {
        // WebSockets first: an open socket keeps the HTTP server from closing.
        await webSockets.close();
        await server.close();
        await pubsub.close();
        await store.close();
        await database.close();
      },
      { drainMs: config.shutdownDrainMs },
    );
  };
  main().catch(exitOnStartupError);
}

export function warnWithoutRedis(config: Config, logger: Logger): void {
  if (config.redis.url === undefined) {
    logger.warn(
      'REDIS_URL is not set: cache, presence and pub/sub stay inside this process and are not shared with other instances',
    );
  }
}
