import { Redis } from 'ioredis';
import type { Logger } from '../kernel/logger.js';
import type { CommandErrorListener } from './key-value-store.js';

/**
 * Fire-and-forget messages between processes (new messages, typing indicators): Redis pub/sub
 * when REDIS_URL is set, otherwise in-process delivery. Like Redis, it is at-most-once: a
 * message published while nobody listens, or while the connection is down, is gone. Anything
 * that must not be lost is read back from PostgreSQL (catch-up), never from here; `onGap` says
 * when such a read is due.
 */
export interface PubSub {
  readonly kind: 'redis' | 'memory';
  /** Resolves once the message is handed over (to Redis, or queued for local listeners); rejects at once while Redis is down. */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `listener` for every message on `channel` until the returned function is called.
   * Listeners run outside the publisher's call stack; one that throws is logged and the others
   * still run. With Redis, delivery starts once the server confirmed the SUBSCRIBE (milliseconds).
   *
   * `onGap` runs whenever messages on `channel` may have been missed since it was subscribed:
   * once this process's subscription is back after its Redis connection was lost (then every
   * channel is subscribed again, so a read from PostgreSQL started now misses nothing), and
   * when a process announces that a publish of its on `channel` failed. Never in memory.
   */
  subscribe(channel: string, listener: (message: string) => void, options?: { onGap?: () => void }): () => void;
  /** Calls `listener` with the command's name (`publish`, `subscribe`, `unsubscribe`) each time one fails; never in memory. */
  onCommandError(listener: CommandErrorListener): () => void;
  close(): Promise<void>;
}

export function openPubSub(url: string | undefined, logger: Logger): PubSub {
  return url === undefined ? new MemoryPubSub(logger) : new RedisPubSub(url, logger);
}

type Listener = (message: string) => void;

interface Registration {
  readonly listener: Listener;
  readonly onGap: (() => void) | undefined;
}

/** Local listeners by channel, shared by both implementations: they differ only in transport. */
class ListenerRegistry {
  readonly #byChannel = new Map<string, Set<Registration>>();

  constructor(readonly logger: Logger) {}

  /** Adds a listener; true when it is the channel's first. */
  add(channel: string, registration: Registration): boolean {
    let registrations = this.#byChannel.get(channel);
    const first = registrations === undefined;
    if (registrations === undefined) {
      registrations = new Set();
      this.#byChannel.set(channel, registrations);
    }
    registrations.add(registration);
    return first;
  }

  /** Removes a listener; true when it was the channel's last. */
  remove(channel: string, registration: Registration): boolean {
    const registrations = this.#byChannel.get(channel);
    if (registrations === undefined || !registrations.delete(registration)) return false;
    if (registrations.size > 0) return false;
    this.#byChannel.delete(channel);
    return true;
  }

  channels(): string[] {
    return [...this.#byChannel.keys()];
  }

  dispatch(channel: string, message: string): void {
    this.#each(channel, (registration) => registration.listener(message), 'pub/sub listener failed');
  }

  /** Tells the channel's listeners that they may have missed messages. */
  gap(channel: string): void {
    this.#each(channel, (registration) => registration.onGap?.(), 'pub/sub gap listener failed');
  }

  clear(): void {
    this.#byChannel.clear();
  }

  #each(channel: string, call: (registration: Registration) => void, failure: string): void {
    const registrations = this.#byChannel.get(channel);
    if (registrations === undefined) return;
    // A copy: a listener may unsubscribe itself (or another) while we iterate.
    for (const registration of [...registrations]) {
      if (!registrations.has(registration)) continue;
      try {
        call(registration);
      } catch (error) {
        this.logger.error({ err: error, channel }, failure);
      }
    }
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
    // A fresh registration, so the same function subscribed twice gets two independent subscriptions.
    const own: Registration = { listener, onGap: undefined };
    this.#listeners.add(channel, own);
    return () => {
      this.#listeners.remove(channel, own);
    };
  }

  onCommandError() {
    return () => undefined;
  }
  async close() {
    this.#listeners.clear();
  }
}

/**
 * Redis: one connection publishes, one dedicated connection subscribes (a subscribed Redis
 * connection can do nothing else). Each channel is SUBSCRIBEd once however many local
 * listeners it has, and UNSUBSCRIBEd when the last one leaves. Errors are logged, never thrown
 * at listeners.
 *
 * Gaps: after the subscriber connection was lost, this class subscribes every channel again
 * itself (not ioredis's autoResubscribe, which does not say when it is done) and only then
 * calls every `onGap`. A failed publish is announced on GAP_CHANNEL (to every process) once
 * the publisher works again, so subscribers whose own connection never broke learn of it too.
 */
class RedisPubSub implements PubSub {
  readonly kind = 'redis';
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #listeners: ListenerRegistry;
  readonly #logger: Logger;
  /** The publisher's connection was lost and is not back: publishes fail at once instead of queueing. */
  #publisherDown = false;
  /** The subscriber's connection closed since its channels were last subscribed. */
  #subscriberInterrupted = false;
  /** Messages that arrived after a reconnect but before the gaps were signalled: delivered right after them. */
  #arrivedDuringRestore: Array<[string, string]> = [];
  /** Channels with a failed publish not yet announced on GAP_CHANNEL. */
  readonly #unannounced = new Set<string>();
  #announceTimer: NodeJS.Timeout | undefined;
  #announcing = false;
  #closed = false;
  readonly #errorListeners = new Set<CommandErrorListener>();

  constructor(url: string, logger: Logger) {
    this.#logger = logger;
    this.#listeners = new ListenerRegistry(logger);
    // The publisher fails fast like the key-value store: a slow Redis must not stall sends.
    this.#publisher = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 1000, connectTimeout: 2000 });
    // The subscriber waits out outages (its SUBSCRIBEs queue until it is back).
    this.#subscriber = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 2000, autoResubscribe: false });
    logConnectionErrors(this.#publisher, logger, 'Redis publisher connection error');
    logConnectionErrors(this.#subscriber, logger, 'Redis subscriber connection error');
    this.#publisher.on('close', () => {
      this.#publisherDown = true;
    });
    this.#publisher.on('ready', () => {
      this.#publisherDown = false;
      void this.#announce();
    });
    this.#subscriber.on('close', () => {
      this.#subscriberInterrupted = true;
    });
    this.#subscriber.on('ready', () => void this.#resubscribe());
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (this.#subscriberInterrupted) this.#arrivedDuringRestore.push([channel, message]);
      else this.#receive(channel, message);
    });
    this.#subscriber.subscribe(GAP_CHANNEL).catch((error: unknown) => {
      this.#logger.error({ err: error, channel: GAP_CHANNEL }, 'Redis SUBSCRIBE failed');
    });
  }

  async publish(channel: string, message: string) {
    try {
      if (this.#publisherDown) throw new Error('Redis is unreachable (reconnecting)');
      await this.#publisher.publish(channel, message);
    } catch (error) {
      this.#failed('publish');
      this.#unannounced.add(channel);
      this.#scheduleAnnounce();
      throw error;
    }
    if (this.#unannounced.size > 0) void this.#announce();
  }

  subscribe(channel: string, listener: Listener, options: { onGap?: () => void } = {}) {
    const own: Registration = { listener, onGap: options.onGap };
    if (this.#listeners.add(channel, own)) {
      // Commands on one connection run in order, so a quick unsubscribe/subscribe sequence
      // of the same channel ends in the state of the last call.
      this.#subscriber.subscribe(channel).catch((error: unknown) => {
        this.#failed('subscribe');
        this.#logger.error({ err: error, channel }, 'Redis SUBSCRIBE failed');
      });
    }
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (this.#listeners.remove(channel, own)) {
        this.#subscriber.unsubscribe(channel).catch((error: unknown) => {
          this.#failed('unsubscribe');
          this.#logger.warn({ err: error, channel }, 'Redis UNSUBSCRIBE failed');
        });
      }
    };
  }

  onCommandError(listener: CommandErrorListener) {
    this.#errorListeners.add(listener);
    return () => {
      this.#errorListeners.delete(listener);
    };
  }

  #failed(command: string): void {
    for (const listener of this.#errorListeners) listener(command);
  }

  async close() {
    this.#closed = true;
    this.#errorListeners.clear();
    clearTimeout(this.#announceTimer);
    this.#listeners.clear();
    this.#subscriber.disconnect();
    this.#publisher.disconnect();
  }

  #receive(channel: string, message: string): void {
    if (channel === GAP_CHANNEL) this.#listeners.gap(message);
    else this.#listeners.dispatch(channel, message);
  }

  /**
   * Back after a lost connection: every channel again, then the gaps (a read from now on
   * misses nothing), then what arrived since the SUBSCRIBEs, so that no listener sees a new
   * message before it knows about the gap (its catch-up would then come after that message).
   */
  async #resubscribe(): Promise<void> {
    if (!this.#subscriberInterrupted || this.#closed) return;
    try {
      await this.#subscriber.subscribe(GAP_CHANNEL, ...this.#listeners.channels());
    } catch (error) {
      // Lost again: the next 'ready' tries again, and the catch-up covers what arrived meanwhile.
      this.#logger.warn({ err: error }, 'Redis re-SUBSCRIBE failed');
      this.#arrivedDuringRestore = [];
      return;
    }
    if (this.#closed) return;
    this.#subscriberInterrupted = false;
    const arrived = this.#arrivedDuringRestore;
    this.#arrivedDuringRestore = [];
    this.#logger.info({ channels: this.#listeners.channels().length }, 'Redis subscriptions restored: subscribers catch up');
    for (const channel of this.#listeners.channels()) this.#listeners.gap(channel);
    for (const [channel, message] of arrived) this.#receive(channel, message);
  }

  /** Tells every process (this one included) which channels lost a publish. */
  async #announce(): Promise<void> {
    if (this.#announcing || this.#closed || this.#publisherDown) return;
    this.#announcing = true;
    try {
      for (const channel of [...this.#unannounced]) {
        await this.#publisher.publish(GAP_CHANNEL, channel);
        this.#unannounced.delete(channel);
      }
    } catch {
      this.#scheduleAnnounce();
    } finally {
      this.#announcing = false;
    }
  }

  #scheduleAnnounce(): void {
    if (this.#announceTimer !== undefined || this.#closed) return;
    this.#announceTimer = setTimeout(() => {
      this.#announceTimer = undefined;
      void this.#announce();
    }, ANNOUNCE_RETRY_MS);
    this.#announceTimer.unref();
  }
}

/** Where a process announces a channel whose publish failed (the payload is the channel's name). */
const GAP_CHANNEL = 'pubsub:gaps';
/** How soon an announcement that could not be published is tried again. */
const ANNOUNCE_RETRY_MS = 1000;

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
