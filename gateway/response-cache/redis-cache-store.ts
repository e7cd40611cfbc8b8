import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../lib/kernel/logger.js';
import type { TouchedEntity } from '../../lib/kernel/touched-entities.js';
import { lagTolerantTimeout } from '../lag-tolerant-timeout.js';
import { type CacheLookup, type CacheLookups, invalidationKeys, type ResponseCacheStore } from './cache-store.js';

/**
 * Keys, under one prefix:
 * - `r:<key>`: a cached response (JSON), expiring with its TTL;
 * - `e:<entity>`: the set of response keys that contain the entity;
 * - `v:<entity>`: the epoch of the entity's last invalidation, kept for `guardMs`;
 * - `epoch`: the invalidation counter.
 * Storing and invalidating are Lua scripts, so neither can interleave with the other.
 */
const STORE = `
local prefix, json, ttl, epoch, indexTtl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
for i = 6, #ARGV do
  local invalidated = redis.call('GET', prefix .. 'v:' .. ARGV[i])
  if invalidated and tonumber(invalidated) > epoch then return 0 end
end
redis.call('SET', KEYS[1], json, 'PX', ttl)
for i = 6, #ARGV do
  local index = prefix .. 'e:' .. ARGV[i]
  redis.call('SADD', index, KEYS[1])
  redis.call('PEXPIRE', index, indexTtl)
end
return 1`;

const INVALIDATE = `
local prefix, guardMs = ARGV[1], ARGV[2]
local epoch = redis.call('INCR', prefix .. 'epoch')
for i = 3, #ARGV do
  local index = prefix .. 'e:' .. ARGV[i]
  for _, key in ipairs(redis.call('SMEMBERS', index)) do redis.call('DEL', key) end
  redis.call('DEL', index)
  redis.call('SET', prefix .. 'v:' .. ARGV[i], epoch, 'PX', guardMs)
end
return epoch`;

/**
 * A lookup for a caller that may hold a copy read or stored at epoch ARGV[2] ('' for none): the
 * epoch alone while it is still current (the copy is what Redis would answer: any invalidation
 * advances the epoch), else the epoch, the response and its remaining TTL in ms.
 */
const LOOKUP = `
local epoch = redis.call('GET', ARGV[1]) or '0'
if ARGV[2] == epoch then return {epoch} end
return {epoch, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}`;

/** Characters of responses the in-process layer holds at most, whatever its entry count. */
const KEPT_CHARACTERS = 32 * 1024 * 1024;

type CacheRedis = Redis & {
  lookupResponse(key: string, epochKey: string, keptEpoch: string): Promise<[string, (string | null)?, number?]>;
  storeResponse(key: string, ...args: (string | number)[]): Promise<number>;
  invalidateEntities(...args: (string | number)[]): Promise<number>;
};

/**
 * The response cache in Redis, shared by every gateway instance. Its client never waits for
 * Redis: no offline queue, no retries, a short command timeout. A cache that is down or slow
 * turns into misses (the caller treats errors so), never into slow or failed requests.
 */
export class RedisResponseCacheStore implements ResponseCacheStore {
  readonly kind = 'redis';
  readonly #redis: CacheRedis;
  readonly #prefix: string;
  /** How long an entity's index outlives its last write: the longest TTL in use. */
  readonly #indexTtlMs: number;
  readonly #guardMs: number;
  readonly #timeoutMs: number;
  readonly #name: string;
  /** Responses kept in process memory with the epoch they were read or stored at, and when they expire. */
  readonly #kept: LRUCache<string, { json: string; epoch: number; expiresAt: number }> | undefined;

  constructor(options: {
    url: string;
    logger: Logger;
    commandTimeoutMs: number;
    maxTtlMs: number;
    guardMs: number;
    /** Of every key, e.g. `chitlaq:response-cache:`. */
    prefix: string;
    /** What the log lines call it: `response cache` (default) or `entity cache`, which stores its entries here too. */
    name?: string;
    /**
     * Responses `lookup` keeps in process memory (0 or absent: none). A kept response is served
     * only while Redis's invalidation epoch is the one it was read or stored at, so the lookup
     * still asks Redis, but only for the epoch: the response itself crosses the network once
     * per epoch, not once per hit.
     */
    keptEntries?: number;
  }) {
    this.#kept =
      (options.keptEntries ?? 0) > 0
        ? new LRUCache({
            max: options.keptEntries as number,
            maxSize: KEPT_CHARACTERS,
            sizeCalculation: (entry) => Math.max(1, entry.json.length),
          })
        : undefined;
    this.#name = options.name ?? 'response cache';
    this.#prefix = options.prefix;
    this.#indexTtlMs = Math.max(1, Math.ceil(options.maxTtlMs));
    this.#guardMs = options.guardMs;
    // No commandTimeout here: ioredis's timer cannot tell a slow Redis from a busy event loop
    // (gateway/lag-tolerant-timeout.ts), so every call is wrapped instead.
    // Auto-pipelining: the lookups of one event-loop turn go out in one write. On a hit the
    // write of the GET was the largest single cost (a syscall per lookup under load).
    this.#redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      enableAutoPipelining: true,
    }) as CacheRedis;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#redis.defineCommand('storeResponse', { numberOfKeys: 1, lua: STORE });
    this.#redis.defineCommand('lookupResponse', { numberOfKeys: 1, lua: LOOKUP });
    this.#redis.defineCommand('invalidateEntities', { numberOfKeys: 0, lua: INVALIDATE });
    let lastError = '';
    this.#redis.on('error', (error: Error) => {
      if (error.message !== lastError) options.logger.warn({ err: error }, `${this.#name}: Redis connection error`);
      lastError = error.message;
    });
    this.#redis.on('ready', () => {
      lastError = '';
    });
  }

  async lookup(key: string): Promise<CacheLookup> {
    let kept = this.#kept?.get(key);
    if (kept !== undefined && kept.expiresAt <= Date.now()) {
      this.#kept?.delete(key);
      kept = undefined;
    }
    const [current, json = null, ttlMs = -2] = await this.#timed(
      this.#redis.lookupResponse(this.#responseKey(key), `${this.#prefix}epoch`, kept === undefined ? '' : String(kept.epoch)),
    );
    const epoch = Number(current);
    if (kept !== undefined && kept.epoch === epoch) return { json: kept.json, epoch };
    if (json === null || ttlMs <= 0) this.#kept?.delete(key);
    else this.#kept?.set(key, { json, epoch, expiresAt: Date.now() + ttlMs });
    return { json, epoch };
  }

  async lookupMany(keys: readonly string[]): Promise<CacheLookups> {
    if (keys.length === 0) return { json: [], epoch: await this.currentEpoch() };
    const values = await this.#timed(this.#redis.mget(...keys.map((key) => this.#responseKey(key)), `${this.#prefix}epoch`));
    return { json: values.slice(0, keys.length), epoch: Number(values[keys.length] ?? 0) };
  }

  async currentEpoch(): Promise<number> {
    return Number((await this.#timed(this.#redis.get(`${this.#prefix}epoch`))) ?? 0);
  }

  async store(key: string, json: string, entities: readonly string[], ttlMs: number, epoch: number): Promise<boolean> {
    const ttl = Math.max(1, Math.round(ttlMs));
    // Before Redis sets its expiry: a kept copy never outlives the stored one.
    const expiresAt = Date.now() + ttl;
    const stored = await this.#timed(
      this.#redis.storeResponse(
        this.#responseKey(key),
        this.#prefix,
        json,
        ttl,
        epoch,
        Math.max(ttl, this.#indexTtlMs),
        ...entities,
      ),
    );
    // Kept at the epoch of its lookup: if anything was invalidated since, the next lookup reads Redis.
    if (stored === 1) this.#kept?.set(key, { json, epoch, expiresAt });
    return stored === 1;
  }

  async invalidate(entities: readonly TouchedEntity[]): Promise<void> {
    if (entities.length === 0) return;
    await this.#timed(this.#redis.invalidateEntities(this.#prefix, this.#guardMs, ...invalidationKeys(entities)));
  }

  async close(): Promise<void> {
    this.#kept?.clear();
    this.#redis.disconnect();
  }

  #timed<T>(command: Promise<T>): Promise<T> {
    return lagTolerantTimeout(command, this.#timeoutMs, `${this.#name} Redis`);
  }

  #responseKey(key: string): string {
    return `${this.#prefix}r:${key}`;
  }
}
