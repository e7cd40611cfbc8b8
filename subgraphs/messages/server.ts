import type { SubgraphDeps } from '../../lib/service-runtime.js';
import { createSubgraph, type Subgraph } from '../../lib/subgraph.js';
import { createContext, type MessagesServices } from './context.js';
import type { MessagesDatabase } from './conversation.table.js';
import { migrations } from './migrations/index.js';
import { resolvers } from './resolvers/index.js';
import { createMessageSender } from './send-messages.js';
import { createUsersDirectory } from './users-directory.js';

/** Migrates the `messages` schema, then builds the messages subgraph's GraphQL server. */
export function createMessagesSubgraph(deps: SubgraphDeps): Promise<Subgraph> {
  return createSubgraph<MessagesDatabase, MessagesServices, ReturnType<typeof createContext>>(
    {
      name: 'messages',
      schemaFile: new URL('./schema.graphql', import.meta.url),
      migrations,
      resolvers,
      createServices: (db, { logger, subgraphUrls }) => ({
        db,
        logger,
        sender: createMessageSender(db),
        users: createUsersDirectory(subgraphUrls.users),
      }),
      createContext,
    },
    deps,
  );
}
