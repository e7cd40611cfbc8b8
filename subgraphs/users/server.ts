import type { SubgraphDeps } from '../../lib/service/subgraph.js';
import { createSubgraph, type Subgraph } from '../../lib/service/subgraph.js';
import { createContext, type UsersServices } from './context.js';
import { migrations } from './db/migrations/index.js';
import type { UsersDatabase } from './db/tables.js';
import { resolvers } from './resolvers/index.js';
import { createDecoyHash } from './services/passwords.js';

/** Migrates the `users` schema, then builds the users subgraph's GraphQL server. */
export function createUsersSubgraph(deps: SubgraphDeps): Promise<Subgraph> {
  return createSubgraph<UsersDatabase, UsersServices, ReturnType<typeof createContext>>(
    {
      name: 'users',
      schemaFile: new URL('./schema.graphql', import.meta.url),
      migrations,
      resolvers,
      createServices: async (_db, { store, tokens, logger, makeLoader }) => ({
        makeLoader,
        store,
        tokens,
        logger,
        decoyPasswordHash: await createDecoyHash(),
      }),
      createContext,
    },
    deps,
  );
}
