import type { Kysely } from 'kysely';
import type { KeyValueStore } from '../../lib/key-value-store.js';
import type { Logger } from '../../lib/logger.js';
import type { Viewer } from '../../lib/tokens.js';
import { createLoaders, type PostsLoaders } from './loaders.js';
import type { PostsDatabase } from './post.table.js';

/** Long-lived dependencies of the posts subgraph, shared by all requests of one process. */
export interface PostsServices {
  readonly db: Kysely<PostsDatabase>;
  /** Caches computed aggregates (trending hashtags) across requests and instances. */
  readonly cache: KeyValueStore;
  readonly logger: Logger;
  /** How long trendingHashtags results are reused, in seconds. */
  readonly trendingTtlSeconds: number;
}

/** The one per-request context every posts resolver receives. */
export interface Context {
  readonly viewer: Viewer | null;
  readonly loaders: PostsLoaders;
  readonly services: PostsServices;
}

export function createContext(services: PostsServices, viewer: Viewer | null): Context {
  return { viewer, services, loaders: createLoaders(services.db, viewer?.id ?? null) };
}
