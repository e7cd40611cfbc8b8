import { LRUCache } from 'lru-cache';
import type { TouchedEntity } from '../../lib/kernel/touched-entities.js';
import type { CacheLookups, ResponseCacheStore } from '../response-cache/cache-store.js';
import { entryExpiry } from './entry-envelope.js';

/** The part of a response-cache store the entity cache uses. */
export type EntityStore = Pick<ResponseCacheStore, 'kind' | 'lookupMany' | 'currentEpoch' | 'store' | 'invalidate' | 'close'>;

/**
 * A bounded in-process layer in front of the shared (Redis) store. An entry kept here is served
 * only while Redis's invalidation epoch is still the one it was read or stored at: any
 * invalidation, by any gateway instance, advances that epoch before its mutation is answered,
 * so no instance serves from memory what another one invalidated. Without invalidations (reads)
 * a lookup costs one `GET epoch`, shared by every lookup that began in the same turn of the
 * event loop, instead of moving every entry over the network; after one, entries come from
 * Redis again (where the invalidation deleted what it touched) and are kept at the new epoch.
 * A lookup only joins an epoch read not yet sent, so it never trusts a read older than itself.
 */
export class LocalLayer implements EntityStore {
  readonly kind: EntityStore['kind'];
  readonly #shared: EntityStore;
  readonly #local: LRUCache<string, { json: string; epoch: number }>;
  #pendingEpoch: Promise<number> | undefined;

  constructor(shared: EntityStore, options: { maxEntries: number }) {
    this.kind = shared.kind;
    this.#shared = shared;
    this.#local = new LRUCache({ max: options.maxEntries, ttlAutopurge: false });
  }

  async lookupMany(keys: readonly string[]): Promise<CacheLookups> {
    const local = keys.map((key) => this.#local.get(key));
    const remote: number[] = [];
    local.forEach((entry, index) => {
      if (entry === undefined) remote.push(index);
    });
    const json: (string | null)[] = new Array(keys.length).fill(null);
    let epoch: number;
    if (remote.length === 0) epoch = await this.#epoch();
    else {
      const found = await this.#shared.lookupMany(remote.map((index) => keys[index] as string));
      epoch = found.epoch;
      remote.forEach((index, position) => {
        json[index] = found.json[position] ?? null;
      });
    }
    // Kept entries of an older epoch are read again (and kept again when Redis still has them).
    const stale: number[] = [];
    local.forEach((entry, index) => {
      if (entry === undefined) return;
      if (entry.epoch === epoch) json[index] = entry.json;
      else stale.push(index);
    });
    if (stale.length > 0) {
      const again = await this.#shared.lookupMany(stale.map((index) => keys[index] as string));
      // Read at a newer epoch than `epoch`: still valid at `epoch`'s lookup, and nothing older is returned.
      stale.forEach((index, position) => {
        json[index] = again.json[position] ?? null;
        this.#keep(keys[index] as string, json[index], again.epoch);
      });
    }
    for (const index of remote) this.#keep(keys[index] as string, json[index] ?? null, epoch);
    return { json, epoch };
  }

  currentEpoch(): Promise<number> {
    return this.#epoch();
  }

  async store(key: string, json: string, entities: readonly string[], ttlMs: number, epoch: number): Promise<boolean> {
    const stored = await this.#shared.store(key, json, entities, ttlMs, epoch);
    if (stored) this.#local.set(key, { json, epoch }, { ttl: Math.max(1, Math.round(ttlMs)) });
    return stored;
  }

  async invalidate(entities: readonly TouchedEntity[]): Promise<void> {
    await this.#shared.invalidate(entities);
  }

  async close(): Promise<void> {
    this.#local.clear();
    await this.#shared.close();
  }

  #keep(key: string, json: string | null, epoch: number): void {
    if (json === null) this.#local.delete(key);
    else {
      // Kept no longer than Redis keeps it: every entry starts with its expiry (entry-envelope.ts).
      const ttl = entryExpiry(json) - Date.now();
      if (ttl > 0) this.#local.set(key, { json, epoch }, { ttl });
      else this.#local.delete(key);
    }
  }

  /** Redis's epoch, read once for every lookup that asks before the read is sent. */
  #epoch(): Promise<number> {
    if (this.#pendingEpoch === undefined) {
      this.#pendingEpoch = new Promise<number>((resolve, reject) => {
        setImmediate(() => {
          this.#pendingEpoch = undefined;
          this.#shared.currentEpoch().then(resolve, reject);
        });
      });
    }
    return this.#pendingEpoch;
  }
}
