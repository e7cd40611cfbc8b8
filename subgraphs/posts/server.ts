import type { Kysely } from 'kysely';
import { migrateSchema } from '../../lib/db/migrate.js';
import { QueryStats } from '../../lib/db/query-stats.js';
import type { SubgraphDeps } from '../../lib/service-runtime.js';
import { createSubgraphYoga, type SubgraphYoga } from '../../lib/subgraph.js';
import { createContext, type PostsServices } from './context.js';
import { migrations } from './migrations/index.js';
import type { PostsDatabase } from './post.table.js';
import { resolvers } from './resolvers/index.js';

export const POSTS_SCHEMA = 'posts';

export interface PostsSubgraph {
  readonly yoga: SubgraphYoga;
  /** SQL statements this subgraph has executed (tests prove batching with it). */
  readonly queryStats: QueryStats;
}

/** Migrates the `posts` schema, then builds the posts subgraph's GraphQL server. */
export async function createPostsSubgraph(deps: SubgraphDeps): Promise<PostsSubgraph> {
  const logger = deps.logger.child({ subgraph: 'posts' });
  const applied = await migrateSchema(deps.database.kysely, POSTS_SCHEMA, migrations);
  if (applied.length > 0) logger.info({ migrations: applied }, 'posts schema migrated');

  const queryStats = new QueryStats();
  const db = deps.database.kysely.withPlugin(queryStats) as unknown as Kysely<PostsDatabase>;
  const services: PostsServices = { db, cache: deps.store, logger, trendingTtlSeconds: deps.config.cache.trendingTtlSeconds };
  const yoga = createSubgraphYoga({
    name: 'posts',
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
