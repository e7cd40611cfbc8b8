import { LRUCache } from 'lru-cache';
import type { TouchedEntity } from '../../lib/kernel/touched-entities.js';

/** What a lookup found, and the invalidation epoch it was made at. */
export interface CacheLookup {
  /** The serialized response, or null on a miss. */
  readonly json: string | null;
  /**
   * Every invalidation advances the epoch. A response computed after this lookup is stored
   * only if none of its entities was invalidated since: otherwise a query that read the data
   * just before a mutation committed could put the old value back after the mutation had
   * already invalidated it, and the next client would read it.
   */
  readonly epoch: number;
}

/** What a lookup of several keys found (null for each miss), at one epoch. */
export interface CacheLookups {
  readonly json: readonly (string | null)[];
  readonly epoch: number;
}

/**
 * Where the gateway's response cache lives: Redis (shared by every gateway instance, so an
 * invalidation by one is seen by all) or process memory when embedded. Each cached response
 * is indexed by the entities it contains (`Post:1`, and its type name `Post`), which is how a
 * mutation's touched entities find the responses to drop.
 */
export interface ResponseCacheStore {
  readonly kind: 'redis' | 'memory';
  lookup(key: string): Promise<CacheLookup>;
  /** Several entries at one epoch (the entity cache looks up every representation of a fetch at once). */
  lookupMany(keys: readonly string[]): Promise<CacheLookups>;
  /** The invalidation epoch now, without reading an entry: what validates an entry kept in process memory. */
  currentEpoch(): Promise<number>;
  /** Stores unless an entity was invalidated after `epoch`; says whether it stored. */
  store(key: string, json: string, entities: readonly string[], ttlMs: number, epoch: number): Promise<boolean>;
  /** Drops every response that contains one of `entities`; resolves once they are gone. */
  invalidate(entities: readonly TouchedEntity[]): Promise<void>;
  close(): Promise<void>;
}

/** `Post:1`, or `PostConnection` for an entity named by type alone. */
export function entityKey(entity: { readonly typename: string; readonly id?: string | number | undefined }): string {
  return entity.id === undefined ? entity.typename : `${entity.typename}:${entity.id}`;
}

/**
 * `Post:*`: what indexes a response that holds a post whose id it does not show (the client did
 * not select it, and the cache never adds it: result-entities.ts). Any post's invalidation drops it.
 */
export function unidentifiedEntityKey(typename: string): string {
  return `${typename}:*`;
}

/** The index keys an invalidation of `entities` drops: each one's key, and `Type:*` for each one with an id. */
export function invalidationKeys(entities: readonly TouchedEntity[]): string[] {
  const keys = new Set<string>();
  for (const entity of entities) {
    keys.add(entityKey(entity));
    if (entity.id !== undefined) keys.add(unidentifiedEntityKey(entity.typename));
  }
  return [...keys];
}

/**
 * The in-process store of the embedded mode: one gateway, so one memory is the truth. Bounded
 * by entry count (least recently used out first); the index follows evictions.
 */
export class MemoryResponseCacheStore implements ResponseCacheStore {
  readonly kind = 'memory';
  readonly #responses: LRUCache<string, { json: string; entities: readonly string[] }>;
  /** entity → keys of the cached responses that contain it. */
  readonly #index = new Map<string, Set<string>>();
  /** entity → epoch of its last invalidation, oldest first (bounded, see #remember). */
  readonly #invalidatedAt = new Map<string, number>();
  readonly #maxRemembered: number;
  #epoch = 0;
  /** Invalidations older than this were forgotten: a lookup older than it may not store. */
  #forgottenBefore = 0;

  constructor(options: { maxEntries: number }) {
    this.#maxRemembered = options.maxEntries * 10;
    this.#responses = new LRUCache({
      max: options.maxEntries,
      ttlAutopurge: false,
      dispose: (value, key) => this.#unindex(key, value.entities),
    });
  }

  async lookup(key: string): Promise<CacheLookup> {
    return { json: this.#responses.get(key)?.json ?? null, epoch: this.#epoch };
  }

  async lookupMany(keys: readonly string[]): Promise<CacheLookups> {
    return { json: keys.map((key) => this.#responses.get(key)?.json ?? null), epoch: this.#epoch };
  }

  async currentEpoch(): Promise<number> {
    return this.#epoch;
  }

  async store(key: string, json: string, entities: readonly string[], ttlMs: number, epoch: number): Promise<boolean> {
    if (epoch < this.#forgottenBefore) return false;
    for (const entity of entities) {
      if ((this.#invalidatedAt.get(entity) ?? -1) > epoch) return false;
    }
    this.#responses.set(key, { json, entities }, { ttl: ttlMs });
    for (const entity of entities) {
      let keys = this.#index.get(entity);
      if (keys === undefined) {
        keys = new Set();
        this.#index.set(entity, keys);
      }
      keys.add(key);
    }
    return true;
  }

  async invalidate(entities: readonly TouchedEntity[]): Promise<void> {
    this.#epoch += 1;
    for (const entity of invalidationKeys(entities)) {
      for (const key of [...(this.#index.get(entity) ?? [])]) this.#responses.delete(key);
      this.#index.delete(entity);
      this.#remember(entity, this.#epoch);
    }
  }

  async close(): Promise<void> {
    this.#responses.clear();
  }

  #remember(entity: string, epoch: number): void {
    this.#invalidatedAt.delete(entity);
    this.#invalidatedAt.set(entity, epoch);
    if (this.#invalidatedAt.size <= this.#maxRemembered) return;
    const [oldest, oldestEpoch] = this.#invalidatedAt.entries().next().value as [string, number];
    this.#invalidatedAt.delete(oldest);
    this.#forgottenBefore = Math.max(this.#forgottenBefore, oldestEpoch);
  }

  #unindex(key: string, entities: readonly string[]): void {
    for (const entity of entities) {
      const keys = this.#index.get(entity);
      keys?.delete(key);
      if (keys?.size === 0) this.#index.delete(entity);
    }
  }
}
