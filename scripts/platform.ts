import { createGateway } from '../gateway/server.js';
import type { Config } from '../lib/config.js';
import { type Database, openDatabase } from '../lib/db/database.js';
import type { QueryStats } from '../lib/db/query-stats.js';
import { type RunningServer, startHttpServer } from '../lib/http-server.js';
import { type KeyValueStore, openKeyValueStore } from '../lib/key-value-store.js';
import type { Logger } from '../lib/logger.js';
import { createTokenService, type TokenService } from '../lib/tokens.js';
import { createUsersSubgraph } from '../subgraphs/users/server.js';

/** The whole platform in one process: what `npm start` and the tests run. */
export interface Platform {
  /** http://localhost:<port>/graphql of the gateway. */
  readonly gatewayUrl: string;
  readonly gatewayOrigin: string;
  readonly subgraphs: { readonly users: { readonly url: string; readonly queryStats: QueryStats } };
  readonly database: Database;
  readonly store: KeyValueStore;
  readonly tokens: TokenService;
  stop(): Promise<void>;
}

/**
 * Opens the database (migrating every subgraph's schema) and the key-value store, starts each
 * subgraph on its port, then the gateway pointed at them. Port 0 picks a free port (tests).
 * Everything shares one database handle: with PGlite that is a requirement (one session per
 * data directory), with PostgreSQL it simply shares the pool.
 */
export async function startPlatform(
  config: Config,
  logger: Logger,
  options: { inMemoryDatabase?: boolean } = {},
): Promise<Platform> {
  const database = await openDatabase({ ...config.database, inMemory: options.inMemoryDatabase ?? false }, logger);
  const store = openKeyValueStore(config.redis.url, logger);
  const tokens = createTokenService(config.auth);
  const servers: RunningServer[] = [];
  try {
    const users = await createUsersSubgraph({ database, store, tokens, logger });
    const usersServer = await startHttpServer(users.yoga, { port: config.ports.users, host: config.host });
    servers.push(usersServer);
    const usersUrl = `${usersServer.origin}/graphql`;

    const gateway = await createGateway({
      subgraphUrls: { users: usersUrl },
      tokens,
      store,
      logger,
      graphiql: config.graphiql,
    });
    const gatewayServer = await startHttpServer(gateway.yoga, { port: config.ports.gateway, host: config.host });
    servers.unshift(gatewayServer);

    return {
      gatewayUrl: `${gatewayServer.origin}/graphql`,
      gatewayOrigin: gatewayServer.origin,
      subgraphs: { users: { url: usersUrl, queryStats: users.queryStats } },
      database,
      store,
      tokens,
      async stop() {
        // Gateway first, so no request reaches a subgraph that is already gone.
        for (const server of servers) await server.close();
        await gateway.stop();
        await store.close();
        await database.close();
      },
    };
  } catch (error) {
    for (const server of servers) await server.close(0);
    await store.close();
    await database.close();
    throw error;
  }
}
