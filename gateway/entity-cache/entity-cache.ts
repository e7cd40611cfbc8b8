import type { Logger } from '../../lib/kernel/logger.js';
import { throttledWarning } from '../../lib/kernel/throttled-warning.js';
import type { TouchedEntity } from '../../lib/kernel/touched-entities.js';
import { MemoryResponseCacheStore } from '../response-cache/cache-store.js';
import { RedisResponseCacheStore } from '../response-cache/redis-cache-store.js';
import { decodeEntry, encodeEntry } from './entry-envelope.js';
import { type EntityStore, LocalLayer } from './local-layer.js';
import type { EntityCacheCounters } from './metrics.js';

/** What a lookup of a fetch's entries found: values (null for a miss) and when and at what epoch it looked. */
export interface EntityLookup {
  readonly values: unknown[];
  readonly epoch: number;
  readonly at: number;
  /** False when the store failed: nothing is stored after such a lookup. */
  readonly ok: boolean;
}

/** An entry to store: its key, value, the entities and types it holds (its index), and its TTL. */
export interface EntityEntry {
  readonly key: string;
  readonly value: unknown;
  readonly index: readonly string[];
  readonly ttlMs: number;
}

/**
 * The entity cache's entries over a store that indexes them by the entities they hold and
 * guards against stale write-back with epochs: the response cache's stores
 * (response-cache/cache-store.ts, redis-cache-store.ts) under their own prefix. A value read
 * before an invalidation is stored only if none of its entities was invalidated since its
 * lookup, and only within `guardMs` of it (the store remembers invalidations that long). Every
 * store error is a miss or a value not stored, never an error for the client.
 */
export class EntityCache {
  readonly #store: EntityStore;
  readonly #counters: EntityCacheCounters;
  readonly #guardMs: number;
  readonly #warn: (error: unknown, operation: string) => void;

  constructor(store: EntityStore, options: { counters: EntityCacheCounters; logger: Logger; guardMs: number }) {
    this.#store = store;
    this.#counters = options.counters;
    this.#guardMs = options.guardMs;
    this.#warn = throttledWarning(options.logger, 'entity cache unavailable; fetching without it');
  }

  get kind(): EntityStore['kind'] {
    return this.#store.kind;
  }

  /** Looks up `keys` (of `subgraph`, counted per key); a failing store answers every key as a miss. */
  async lookup(subgraph: string, keys: readonly string[]): Promise<EntityLookup> {
    const at = Date.now();
    let values: unknown[];
    let epoch = 0;
    let ok = true;
    try {
      const found = await this.#store.lookupMany(keys);
      epoch = found.epoch;
      values = found.json.map((json) => (json === null ? null : (decodeEntry(json, at) ?? null)));
    } catch (error) {
      this.#counters.error('lookup');
      this.#warn(error, 'lookup');
      values = keys.map(() => null);
      ok = false;
    }
    let hits = 0;
    for (const value of values) if (value !== null) hits += 1;
    this.#counters.lookups(subgraph, 'hit', hits);
    this.#counters.lookups(subgraph, 'miss', keys.length - hits);
    return { values, epoch, at, ok };
  }

  /** Stores what the subgraph answered after `lookup`, unless something it holds was invalidated since. */
  async store(lookup: EntityLookup, entries: readonly EntityEntry[]): Promise<void> {
    if (!lookup.ok || entries.length === 0 || Date.now() - lookup.at > this.#guardMs) return;
    const now = Date.now();
    await Promise.all(
      entries.map(async (entry) => {
        if (!(entry.ttlMs > 0)) return;
        try {
          const json = encodeEntry(JSON.stringify(entry.value), now + entry.ttlMs);
          await this.#store.store(entry.key, json, entry.index, entry.ttlMs, lookup.epoch);
        } catch (error) {
          this.#counters.error('store');
          this.#warn(error, 'store');
        }
      }),
    );
  }

  /** Drops every entry holding one of `entities` (and `Type:*` ones for each id), in every gateway instance. */
  async invalidate(entities: Iterable<TouchedEntity>): Promise<void> {
    const list = [...entities].map(({ typename, id }) => (id === undefined ? { typename } : { typename, id: String(id) }));
    if (list.length === 0) return;
    try {
      await this.#store.invalidate(list);
    } catch (error) {
      this.#counters.error('invalidate');
      this.#warn(error, 'invalidate');
    }
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}

/** Redis (shared by every gateway instance, with an in-process layer in front) when `redisUrl` is set, else process memory. */
export function openEntityCacheStore(
  settings: {
    redisUrl: string | undefined;
    namespace: string;
    maxEntries: number;
    localMaxEntries: number;
    redisTimeoutMs: number;
    maxTtlMs: number;
    guardMs: number;
  },
  logger: Logger,
): EntityStore {
  if (settings.redisUrl === undefined) return new MemoryResponseCacheStore({ maxEntries: settings.maxEntries });
  const shared = new RedisResponseCacheStore({
    url: settings.redisUrl,
    logger,
    commandTimeoutMs: settings.redisTimeoutMs,
    maxTtlMs: settings.maxTtlMs,
    guardMs: settings.guardMs,
    prefix: `${settings.namespace}:entity-cache:`,
    name: 'entity cache',
  });
  return settings.localMaxEntries > 0 ? new LocalLayer(shared, { maxEntries: settings.localMaxEntries }) : shared;
}
