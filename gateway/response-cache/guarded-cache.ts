import type { ExecutionResult } from 'graphql';
import type { Logger } from '../../lib/kernel/logger.js';
import { throttledWarning } from '../../lib/kernel/throttled-warning.js';
import type { TouchedEntity } from '../../lib/kernel/touched-entities.js';
import { entityKey, type ResponseCacheStore, unidentifiedEntityKey } from './cache-store.js';
import type { ResultEntity } from './result-entities.js';

/** Lookups by outcome since start; the gateway's metrics export them. */
export interface ResponseCacheCounters {
  hit(): void;
  /** A hit answered before Yoga (early-hits.ts); counted as a hit too. */
  earlyHit?(): void;
  miss(): void;
  /** A store error, answered as a miss. */
  error(operation: 'lookup' | 'store' | 'invalidate'): void;
}

/** The response cache as the gateway's plugin (plugins/response-cache.ts) uses it. */
export interface ResponseCache {
  /**
   * The cached response, or null on a miss (a failing store is a miss). With `accept`, a
   * response it refuses (it completes the response for this request, and could not) is a miss:
   * counted as one, and what the request computes instead is stored.
   */
  get(key: string, accept?: (result: ExecutionResult) => Promise<boolean>): Promise<ExecutionResult | null>;
  /**
   * The cached response as stored (its JSON), or null, uncounted and unremembered: a request
   * not answered with it takes the full path, whose `get` counts and guards it.
   */
  peek(key: string): Promise<string | null>;
  /** Counts a hit answered with what `peek` found. */
  countEarlyHit(): void;
  /**
   * Stores the result of a miss of `key`, indexed by the entities it holds and by `types` (the
   * types its operation can return, cache-policy.ts), for `ttlMs`.
   */
  set(
    key: string,
    result: ExecutionResult,
    entities: Iterable<ResultEntity>,
    ttlMs: number,
    types?: readonly string[],
  ): Promise<void>;
  invalidate(entities: Iterable<TouchedEntity>): Promise<void>;
}

/** Misses still waiting for their result to be stored, at most this many (oldest dropped). */
const MAX_PENDING = 10_000;

/**
 * The gateway plugin's cache over a ResponseCacheStore. It remembers the epoch of
 * each miss so that the result computed after it is stored only if nothing it contains was
 * invalidated meanwhile (cache-store.ts), and it turns every store error into a miss: the
 * cache may fail, a request may not.
 */
export function createGuardedCache(
  store: ResponseCacheStore,
  options: {
    logger: Logger;
    counters: ResponseCacheCounters;
    /** A result computed longer than this after its lookup is not stored (the store's guard window). */
    guardMs: number;
  },
): ResponseCache {
  const pending = new Map<string, { epoch: number; at: number }>();
  const failed = throttledWarning(options.logger, 'response cache unavailable; answering without it');

  return {
    async get(key, accept) {
      try {
        const { json, epoch } = await store.lookup(key);
        const result = json === null ? null : (JSON.parse(json) as ExecutionResult);
        if (result !== null && (accept === undefined || (await accept(result)))) {
          options.counters.hit();
          return result;
        }
        options.counters.miss();
        // Concurrent misses of one key: the earliest epoch is the safe one to check against.
        const earlier = pending.get(key);
        pending.delete(key);
        pending.set(key, earlier !== undefined && earlier.epoch < epoch ? earlier : { epoch, at: Date.now() });
        if (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value as string);
        return null;
      } catch (error) {
        options.counters.miss();
        options.counters.error('lookup');
        failed(error, 'lookup');
        return null;
      }
    },

    async peek(key) {
      try {
        return (await store.lookup(key)).json;
      } catch {
        return null;
      }
    },

    countEarlyHit() {
      options.counters.hit();
      options.counters.earlyHit?.();
    },

    async set(key, result, entities, ttl, types = []) {
      const lookup = pending.get(key);
      pending.delete(key);
      if (lookup === undefined || Date.now() - lookup.at > options.guardMs || !(ttl > 0)) return;
      try {
        await store.store(key, JSON.stringify(result), entityKeys(entities, types), ttl, lookup.epoch);
      } catch (error) {
        options.counters.error('store');
        failed(error, 'store');
      }
    },

    async invalidate(entities) {
      try {
        await store.invalidate(
          [...entities].map(({ typename, id }) => (id === undefined ? { typename } : { typename, id: String(id) })),
        );
      } catch (error) {
        options.counters.error('invalidate');
        failed(error, 'invalidate');
      }
    },
  };
}

/**
 * Each entity under its type name and its id (`Post` and `Post:1`, or `Post:*` when the response
 * does not show its id), and `types`, once.
 */
function entityKeys(entities: Iterable<ResultEntity>, types: readonly string[]): string[] {
  const keys = new Set<string>(types);
  for (const entity of entities) {
    keys.add(entity.typename);
    if (entity.id !== undefined) keys.add(entityKey(entity));
    else if (entity.unidentified === true) keys.add(unidentifiedEntityKey(entity.typename));
  }
  return [...keys];
}
