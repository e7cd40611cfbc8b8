import type { SubgraphDeps } from '../../lib/service/subgraph.js';
import { createSubgraph, type Subgraph } from '../../lib/service/subgraph.js';
import { createContext, type MessagesServices } from './context.js';
import { findMembers } from './db/conversation.repository.js';
import { migrations } from './db/migrations/index.js';
import type { MessagesDatabase } from './db/tables.js';
import { createMessageFeed } from './realtime/message-feed.js';
import { createMessagePublisher } from './realtime/message-publisher.js';
import { resolvers } from './resolvers/index.js';
import { createMessageSender } from './services/send-messages.js';
import { createUsersDirectory } from './services/users-directory.js';

/** Migrates the `messages` schema, then builds the messages subgraph's GraphQL server. */
export function createMessagesSubgraph(deps: SubgraphDeps): Promise<Subgraph> {
  return createSubgraph<MessagesDatabase, MessagesServices, ReturnType<typeof createContext>>(
    {
      name: 'messages',
      schemaFile: new URL('./schema.graphql', import.meta.url),
      migrations,
      resolvers,
      createServices: (db, { logger, subgraphUrls, pubsub, config, makeLoader }) => ({
        makeLoader,
        logger,
        // Each committed batch is published once, each conversation in seq order (message-publisher.ts).
        sender: createMessageSender(db, {
          publisher: createMessagePublisher({ findMembers: (ids) => findMembers(db, ids), pubsub, logger }),
        }),
        users: createUsersDirectory(subgraphUrls.users, config.subgraphSigning.secret),
        pubsub,
        feed: createMessageFeed(pubsub, logger),
        typingTtlMs: config.realtime.typingTtlMs,
      }),
      createContext,
    },
    deps,
  );
}
