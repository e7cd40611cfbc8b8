import { Redis } from 'ioredis';
import type { Logger } from '../kernel/logger.js';

/**
 * The small key-value surface the platform needs from Redis (cache entries, presence keys).
 * Backed by Redis when REDIS_URL is set, otherwise by process memory: the embedded mode runs
 * every service in one process, so one in-memory store is shared by all of them.
 */
export interface KeyValueStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  mget(keys: readonly string[]): Promise<Array<string | null>>;
  /** Stores a value; with `ttlSeconds` it expires on its own. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(keys: readonly string[]): Promise<void>;
  /** Deletes `key` only while it still holds `value` (atomically): an owner removes only its own entry. */
  deleteIfEquals(key: string, value: string): Promise<void>;
  ping(): Promise<void>;
  /**
   * Calls `listener` each time the connection is back after being lost: what was written
   * before may be gone (a restarted Redis without persistence). Never in memory.
   */
  onReconnect(listener: () => void): () => void;
  /** Calls `listener` with the command's name (`get`, `mget`, …) each time one fails; never in memory. */
  onCommandError(listener: CommandErrorListener): () => void;
  close(): Promise<void>;
}

/** Told the name of a Redis command that failed (metrics count them: redis_command_errors_total). */
export type CommandErrorListener = (command: string) => void;

export function openKeyValueStore(url: string | undefined, logger: Logger): KeyValueStore {
  return url === undefined ? new MemoryStore() : new RedisStore(url, logger);
}

const DELETE_IF_EQUALS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Fails fast instead of queueing: a slow or absent Redis must not stall requests. While the
 * connection is lost (between a close and the next ready) every command rejects at once
 * rather than waiting in ioredis's offline queue; callers turn that into their fallback
 * (a cache miss, `online: false`, ...). Commands sent before the first connection queue as usual.
 */
class RedisStore implements KeyValueStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  #down = false;
  readonly #reconnectListeners = new Set<() => void>();
  readonly #errorListeners = new Set<CommandErrorListener>();

  constructor(url: string, logger: Logger) {
    this.#redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 1000, connectTimeout: 2000 });
    let lastError = '';
    this.#redis.on('error', (error: Error) => {
      if (error.message !== lastError) logger.warn({ err: error }, 'Redis connection error');
      lastError = error.message;
    });
    this.#redis.on('close', () => {
      this.#down = true;
    });
    this.#redis.on('ready', () => {
      lastError = '';
      if (!this.#down) return;
      this.#down = false;
      for (const listener of [...this.#reconnectListeners]) {
        try {
          listener();
        } catch (error) {
          logger.error({ err: error }, 'Redis reconnect listener failed');
        }
      }
    });
  }

  async get(key: string) {
    return this.#run('get', (redis) => redis.get(key));
  }
  async mget(keys: readonly string[]) {
    return keys.length === 0 ? [] : this.#run('mget', (redis) => redis.mget(...keys));
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    await this.#run('set', (redis) =>
      ttlSeconds === undefined ? redis.set(key, value) : redis.set(key, value, 'EX', ttlSeconds),
    );
  }
  async del(keys: readonly string[]) {
    if (keys.length > 0) await this.#run('del', (redis) => redis.del(...keys));
  }
  async deleteIfEquals(key: string, value: string) {
    await this.#run('eval', (redis) => redis.eval(DELETE_IF_EQUALS, 1, key, value));
  }
  async ping() {
    await this.#run('ping', (redis) => redis.ping());
  }
  onReconnect(listener: () => void) {
    this.#reconnectListeners.add(listener);
    return () => {
      this.#reconnectListeners.delete(listener);
    };
  }
  onCommandError(listener: CommandErrorListener) {
    this.#errorListeners.add(listener);
    return () => {
      this.#errorListeners.delete(listener);
    };
  }
  async close() {
    this.#reconnectListeners.clear();
    this.#errorListeners.clear();
    this.#redis.disconnect();
  }

  /** Runs one command; a failure (refused while down, timed out, an error reply) is reported, then thrown. */
  async #run<T>(command: string, send: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      if (this.#down) throw new Error('Redis is unreachable (reconnecting)');
      return await send(this.#redis);
    } catch (error) {
      for (const listener of this.#errorListeners) listener(command);
      throw error;
    }
  }
}

class MemoryStore implements KeyValueStore {
  readonly kind = 'memory';
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();

  async get(key: string) {
    return this.#read(key);
  }
  async mget(keys: readonly string[]) {
    return keys.map((key) => this.#read(key));
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    this.#entries.set(key, {
      value,
      expiresAt: ttlSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlSeconds * 1000,
    });
  }
  async del(keys: readonly string[]) {
    for (const key of keys) this.#entries.delete(key);
  }
  async deleteIfEquals(key: string, value: string) {
    if (this.#read(key) === value) this.#entries.delete(key);
  }
  async ping() {}
  onReconnect() {
    return () => undefined;
  }
  onCommandError() {
    return () => undefined;
  }
  async close() {
    this.#entries.clear();
  }

  #read(key: string): string | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return null;
    }
    return entry.value;
  }
}
