import { Redis } from 'ioredis';
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

type CacheRedis = Redis & {
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
  }) {
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
    const [json, epoch] = await this.#timed(this.#redis.mget(this.#responseKey(key), `${this.#prefix}epoch`));
    return { json: json ?? null, epoch: Number(epoch ?? 0) };
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
    return stored === 1;
  }

  async invalidate(entities: readonly TouchedEntity[]): Promise<void> {
    if (entities.length === 0) return;
    await this.#timed(this.#redis.invalidateEntities(this.#prefix, this.#guardMs, ...invalidationKeys(entities)));
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  #timed<T>(command: Promise<T>): Promise<T> {
    return lagTolerantTimeout(command, this.#timeoutMs, `${this.#name} Redis`);
  }

  #responseKey(key: string): string {
    return `${this.#prefix}r:${key}`;
  }
}
