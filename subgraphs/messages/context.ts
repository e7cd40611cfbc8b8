import type { Kysely } from 'kysely';
import type { Logger } from '../../lib/logger.js';
import type { Viewer } from '../../lib/tokens.js';
import type { MessagesDatabase } from './conversation.table.js';
import { createLoaders, type MessagesLoaders } from './loaders.js';
import type { MessageSender } from './send-messages.js';
import type { UsersDirectory } from './users-directory.js';

/** Long-lived dependencies of the messages subgraph, shared by all requests of one process. */
export interface MessagesServices {
  readonly db: Kysely<MessagesDatabase>;
  readonly logger: Logger;
  /** Batches concurrent sends into multi-row inserts. */
  readonly sender: MessageSender;
  readonly users: UsersDirectory;
}

/** The one per-request context every messages resolver receives. */
export interface Context {
  readonly viewer: Viewer | null;
  readonly loaders: MessagesLoaders;
  readonly services: MessagesServices;
}

export function createContext(services: MessagesServices, viewer: Viewer | null): Context {
  return { viewer, services, loaders: createLoaders(services.db, viewer?.id ?? null) };
}
