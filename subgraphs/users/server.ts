import type { Kysely } from 'kysely';
import { migrateSchema } from '../../lib/db/migrate.js';
import { QueryStats } from '../../lib/db/query-stats.js';
import { createDecoyHash } from '../../lib/passwords.js';
import type { SubgraphDeps } from '../../lib/service-runtime.js';
import { createSubgraphYoga, type SubgraphYoga } from '../../lib/subgraph.js';
import { createContext, type UsersServices } from './context.js';
import { migrations } from './migrations/index.js';
import { resolvers } from './resolvers/index.js';
import type { UsersDatabase } from './user.table.js';

export const USERS_SCHEMA = 'users';

export interface UsersSubgraph {
  readonly yoga: SubgraphYoga;
  /** SQL statements this subgraph has executed (tests prove batching with it). */
  readonly queryStats: QueryStats;
}

/** Migrates the `users` schema, then builds the users subgraph's GraphQL server. */
export async function createUsersSubgraph(deps: SubgraphDeps): Promise<UsersSubgraph> {
  const logger = deps.logger.child({ subgraph: 'users' });
  const applied = await migrateSchema(deps.database.kysely, USERS_SCHEMA, migrations);
  if (applied.length > 0) logger.info({ migrations: applied }, 'users schema migrated');

  const queryStats = new QueryStats();
  const db = deps.database.kysely.withPlugin(queryStats) as unknown as Kysely<UsersDatabase>;
  const services: UsersServices = {
    db,
    store: deps.store,
    tokens: deps.tokens,
    logger,
    decoyPasswordHash: await createDecoyHash(),
  };
  const yoga = createSubgraphYoga({
    name: 'users',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    resolvers,
    tokens: deps.tokens,
    logger,
    async isReady() {
      await Promise.all([deps.database.ping(), deps.store.ping()]);
      return true;
    },
    createContext: (viewer) => createContext(services, viewer),
  });
  return { yoga, queryStats };
}
