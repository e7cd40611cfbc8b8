import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * Fire-and-forget messages between processes (new messages, typing indicators): Redis pub/sub
 * when REDIS_URL is set, otherwise in-process delivery. Like Redis, it is at-most-once: a
 * message published while nobody listens, or while the connection is down, is gone. Anything
 * that must not be lost is read back from PostgreSQL (catch-up), never from here.
 */
export interface PubSub {
  readonly kind: 'redis' | 'memory';
  /** Resolves once the message is handed over (to Redis, or queued for local listeners). */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `listener` for every message on `channel` until the returned function is called.
   * Listeners run outside the publisher's call stack; one that throws is logged and the others
   * still run. With Redis, delivery starts once the server confirmed the SUBSCRIBE (milliseconds).
   */
  subscribe(channel: string, listener: (message: string) => void): () => void;
  close(): Promise<void>;
}

export function openPubSub(url: string | undefined, logger: Logger): PubSub {
  return url === undefined ? new MemoryPubSub(logger) : new RedisPubSub(url, logger);
}

type Listener = (message: string) => void;

/** Local listeners by channel, shared by both implementations: they differ only in transport. */
class ListenerRegistry {
  readonly #byChannel = new Map<string, Set<Listener>>();

  constructor(readonly logger: Logger) {}

  /** Adds a listener; true when it is the channel's first. */
  add(channel: string, listener: Listener): boolean {
    let listeners = this.#byChannel.get(channel);
    const first = listeners === undefined;
    if (listeners === undefined) {
      listeners = new Set();
      this.#byChannel.set(channel, listeners);
    }
    listeners.add(listener);
    return first;
  }

  /** Removes a listener; true when it was the channel's last. */
  remove(channel: string, listener: Listener): boolean {
    const listeners = this.#byChannel.get(channel);
    if (listeners === undefined || !listeners.delete(listener)) return false;
    if (listeners.size > 0) return false;
    this.#byChannel.delete(channel);
    return true;
  }

  dispatch(channel: string, message: string): void {
    const listeners = this.#byChannel.get(channel);
    if (listeners === undefined) return;
    // A copy: a listener may unsubscribe itself (or another) while we iterate.
    for (const listener of [...listeners]) {
      if (!listeners.has(listener)) continue;
      try {
        listener(message);
      } catch (error) {
        this.logger.error({ err: error, channel }, 'pub/sub listener failed');
      }
    }
  }

  clear(): void {
    this.#byChannel.clear();
  }
}

/**
 * One process: a message reaches the listeners subscribed when it is delivered, on a later
 * microtask, so a publisher never runs listener code in its own call stack (as with Redis).
 */
class MemoryPubSub implements PubSub {
  readonly kind = 'memory';
  readonly #listeners: ListenerRegistry;

  constructor(logger: Logger) {
    this.#listeners = new ListenerRegistry(logger);
  }

  async publish(channel: string, message: string) {
    queueMicrotask(() => this.#listeners.dispatch(channel, message));
  }

  subscribe(channel: string, listener: Listener) {
    // Wrapped, so the same function subscribed twice gets two independent subscriptions.
    const own: Listener = (message) => listener(message);
    this.#listeners.add(channel, own);
    return () => {
      this.#listeners.remove(channel, own);
    };
  }

  async close() {
    this.#listeners.clear();
  }
}

/**
 * Redis: one connection publishes, one dedicated connection subscribes (a subscribed Redis
 * connection can do nothing else). Each channel is SUBSCRIBEd once however many local
 * listeners it has, and UNSUBSCRIBEd when the last one leaves; ioredis re-subscribes by itself
 * after a reconnect. Errors are logged, never thrown at listeners.
 */
class RedisPubSub implements PubSub {
  readonly kind = 'redis';
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #listeners: ListenerRegistry;
  readonly #logger: Logger;

  constructor(url: string, logger: Logger) {
    this.#logger = logger;
    this.#listeners = new ListenerRegistry(logger);
    // The publisher fails fast like the key-value store: a slow Redis must not stall sends.
    this.#publisher = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 1000, connectTimeout: 2000 });
    // The subscriber waits out outages (its SUBSCRIBEs queue until it is back).
    this.#subscriber = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 2000 });
    logConnectionErrors(this.#publisher, logger, 'Redis publisher connection error');
    logConnectionErrors(this.#subscriber, logger, 'Redis subscriber connection error');
    this.#subscriber.on('message', (channel: string, message: string) => this.#listeners.dispatch(channel, message));
  }

  async publish(channel: string, message: string) {
    await this.#publisher.publish(channel, message);
  }

  subscribe(channel: string, listener: Listener) {
    const own: Listener = (message) => listener(message);
    if (this.#listeners.add(channel, own)) {
      // Commands on one connection run in order, so a quick unsubscribe/subscribe sequence
      // of the same channel ends in the state of the last call.
      this.#subscriber.subscribe(channel).catch((error: unknown) => {
        this.#logger.error({ err: error, channel }, 'Redis SUBSCRIBE failed');
      });
    }
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (this.#listeners.remove(channel, own)) {
        this.#subscriber.unsubscribe(channel).catch((error: unknown) => {
          this.#logger.warn({ err: error, channel }, 'Redis UNSUBSCRIBE failed');
        });
      }
    };
  }

  async close() {
    this.#listeners.clear();
    this.#subscriber.disconnect();
    this.#publisher.disconnect();
  }
}

function logConnectionErrors(redis: Redis, logger: Logger, message: string): void {
  // One line per distinct error, not one per reconnect attempt.
  let lastError = '';
  redis.on('error', (error: Error) => {
    if (error.message !== lastError) logger.warn({ err: error }, message);
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
}
