import type { Kysely } from 'kysely';
import type { KeyValueStore } from '../../lib/infra/key-value-store.js';
import type { Logger } from '../../lib/kernel/logger.js';
import type { Viewer } from '../../lib/kernel/tokens.js';
import { TouchedEntities } from '../../lib/kernel/touched-entities.js';
import type { MakeLoader } from '../../lib/service/batch-loaders.js';
import type { PostsDatabase } from './db/tables.js';
import { createLoaders, type PostsLoaders } from './loaders.js';

/** Long-lived dependencies of the posts subgraph, shared by all requests of one process. */
export interface PostsServices {
  /** Builds the per-request DataLoaders, measuring their batch sizes (lib/service/batch-loaders.ts). */
  readonly makeLoader: MakeLoader;
  /** The shared key-value store: computed aggregates (trending hashtags) across requests and instances. */
  readonly store: KeyValueStore;
  readonly logger: Logger;
  /** How long trendingHashtags results are reused, in seconds. */
  readonly trendingTtlSeconds: number;
  /** Prefix of the cache keys (CACHE_NAMESPACE). */
  readonly cacheNamespace: string;
  /** How many of a query's newest matches searchPosts ranks together (SEARCH_WINDOW_SIZE). */
  readonly searchWindowSize: number;
}

/** The one per-request context every posts resolver receives. */
export interface Context {
  readonly viewer: Viewer | null;
  /**
   * This operation's database: the replica for most queries; the primary for mutations,
   * subscriptions and a viewer's queries right after their own writes (lib/service/read-routing.ts).
   */
  readonly db: Kysely<PostsDatabase>;
  readonly loaders: PostsLoaders;
  readonly services: PostsServices;
  /** What this request's mutations changed, reported to the gateway's response cache. */
  readonly touched: TouchedEntities;
}

export function createContext(services: PostsServices, viewer: Viewer | null, db: Kysely<PostsDatabase>): Context {
  return {
    viewer,
    db,
    services,
    touched: new TouchedEntities(),
    loaders: createLoaders(services.makeLoader, db, viewer?.id ?? null),
  };
}
