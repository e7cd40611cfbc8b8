import type { Kysely } from 'kysely';
import type { PubSub } from '../../lib/infra/pubsub.js';
import type { Logger } from '../../lib/kernel/logger.js';
import type { Viewer } from '../../lib/kernel/tokens.js';
import { TouchedEntities } from '../../lib/kernel/touched-entities.js';
import type { MakeLoader } from '../../lib/service/batch-loaders.js';
import type { MessagesDatabase } from './db/tables.js';
import { createLoaders, type MessagesLoaders } from './loaders.js';
import type { MessageFeed } from './realtime/message-feed.js';
import type { MessageSender } from './services/send-messages.js';
import type { UsersDirectory } from './services/users-directory.js';

/** Long-lived dependencies of the messages subgraph, shared by all requests of one process. */
export interface MessagesServices {
  /** Builds the per-request DataLoaders, measuring their batch sizes (lib/service/batch-loaders.ts). */
  readonly makeLoader: MakeLoader;
  readonly logger: Logger;
  /** Batches concurrent sends into multi-row inserts. */
  readonly sender: MessageSender;
  readonly users: UsersDirectory;
  /** Where typing signals are published (new messages are published by `sender`). */
  readonly pubsub: PubSub;
  /** This instance's subscriptions to new messages and typing signals. */
  readonly feed: MessageFeed;
  /** TYPING_TTL_MS: how long a `typing: true` lasts without a refresh. */
  readonly typingTtlMs: number;
}

/**
 * The one per-request context every messages resolver receives; over WebSockets, one per
 * operation and one more per subscription event (fresh loaders, see lib/realtime/subscribe-per-event.ts).
 */
export interface Context {
  readonly viewer: Viewer | null;
  /**
   * This operation's database: the replica for most queries; the primary for mutations,
   * subscriptions and a viewer's queries right after their own writes (lib/service/read-routing.ts).
   */
  readonly db: Kysely<MessagesDatabase>;
  readonly loaders: MessagesLoaders;
  readonly services: MessagesServices;
  /** What this request's mutations changed, reported to the gateway's response cache. */
  readonly touched: TouchedEntities;
}

export function createContext(services: MessagesServices, viewer: Viewer | null, db: Kysely<MessagesDatabase>): Context {
  return {
    viewer,
    db,
    services,
    touched: new TouchedEntities(),
    loaders: createLoaders(services.makeLoader, db, viewer?.id ?? null),
  };
}
