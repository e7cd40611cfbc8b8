import type { Kysely } from 'kysely';
import type { KeyValueStore } from '../../lib/infra/key-value-store.js';
import type { Logger } from '../../lib/kernel/logger.js';
import type { TokenService, Viewer } from '../../lib/kernel/tokens.js';
import { TouchedEntities } from '../../lib/kernel/touched-entities.js';
import type { MakeLoader } from '../../lib/service/batch-loaders.js';
import type { UsersDatabase } from './db/tables.js';
import { createLoaders, type UsersLoaders } from './loaders.js';

/** Long-lived dependencies of the users subgraph, shared by all requests of one process. */
export interface UsersServices {
  /** Builds the per-request DataLoaders, measuring their batch sizes (lib/service/batch-loaders.ts). */
  readonly makeLoader: MakeLoader;
  readonly store: KeyValueStore;
  readonly tokens: TokenService;
  readonly logger: Logger;
  /** Hash verified against when a login names an unknown email (equal timing). */
  readonly decoyPasswordHash: string;
}

/** The one per-request context every users resolver receives. */
export interface Context {
  readonly viewer: Viewer | null;
  /**
   * This operation's database: the replica for most queries; the primary for mutations,
   * subscriptions and a viewer's queries right after their own writes (lib/service/read-routing.ts).
   */
  readonly db: Kysely<UsersDatabase>;
  readonly loaders: UsersLoaders;
  readonly services: UsersServices;
  /** What this request's mutations changed, reported to the gateway's response cache. */
  readonly touched: TouchedEntities;
}

export function createContext(services: UsersServices, viewer: Viewer | null, db: Kysely<UsersDatabase>): Context {
  return {
    viewer,
    db,
    services,
    touched: new TouchedEntities(),
    loaders: createLoaders(services.makeLoader, db, services.store, viewer?.id ?? null, services.logger),
  };
}
