import type { SubgraphDeps } from '../../lib/service/subgraph.js';
import { createSubgraph, type Subgraph } from '../../lib/service/subgraph.js';
import { createContext, type PostsServices } from './context.js';
import { migrations } from './db/migrations/index.js';
import type { PostsDatabase } from './db/tables.js';
import { resolvers } from './resolvers/index.js';

/** Migrates the `posts` schema, then builds the posts subgraph's GraphQL server. */
export function createPostsSubgraph(deps: SubgraphDeps): Promise<Subgraph> {
  return createSubgraph<PostsDatabase, PostsServices, ReturnType<typeof createContext>>(
    {
      name: 'posts',
      schemaFile: new URL('./schema.graphql', import.meta.url),
      migrations,
      resolvers,
      createServices: (_db, { store, logger, config, makeLoader }) => ({
        makeLoader,
        store,
        logger,
        trendingTtlSeconds: config.cache.trendingTtlSeconds,
        searchWindowSize: config.search.windowSize,
        cacheNamespace: config.cache.namespace,
      }),
      createContext,
    },
    deps,
  );
}
