import { randomUUID } from 'node:crypto';
import type { KeyValueStore } from '../lib/infra/key-value-store.js';
import { PRESENCE_TTL_SECONDS, presenceKey } from '../lib/infra/presence.js';
import type { Logger } from '../lib/kernel/logger.js';

/** How often this instance re-asserts its users' presence: well inside the key's TTL. */
const HEARTBEAT_MS = (PRESENCE_TTL_SECONDS * 1000) / 4;
/** While the store fails (Redis down), how often every key is tried again: a restarted, empty Redis learns who is online soon. */
const RETRY_MS = 1000;

/**
 * Presence as the gateway sees it: a user is online while they hold at least one authenticated
 * WebSocket here. This instance writes `presence:<userId>` (value: its own id) with a TTL when a
 * user's first socket opens, refreshes every key it holds on a heartbeat, and deletes the key
 * when the last socket closes, but only if the key is still its own. A crashed instance's
 * keys simply expire. A user with sockets on two instances who closes one may read as offline
 * until the other instance's next heartbeat (at most a quarter of the TTL).
 *
 * A store that fails (Redis down) never fails a connection: the outage is logged once, and
 * every key is written again every RETRY_MS until the store answers. When the store comes back
 * (possibly empty), every key is written again at once and each user's cached presence dropped.
 */
export class PresenceTracker {
  readonly #instanceId = randomUUID();
  readonly #sockets = new Map<string, number>();
  readonly #store: KeyValueStore;
  readonly #logger: Logger;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onChange: ((userId: string) => Promise<void>) | undefined;
  /** The store failed and has not answered since: logged once, retried soon. */
  #failing = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #leaveStore: () => void;

  /** `onChange` runs when a user comes online or goes offline here (the response cache drops their cached presence). */
  constructor(store: KeyValueStore, logger: Logger, options: { onChange?: (userId: string) => Promise<void> } = {}) {
    this.#store = store;
    this.#logger = logger;
    this.#onChange = options.onChange;
    this.#heartbeat = setInterval(() => void this.#refreshAll(), HEARTBEAT_MS);
    this.#heartbeat.unref();
    this.#leaveStore = store.onReconnect(() => void this.#restore());
  }

  /** Resolves once the user reads as online everywhere. */
  async connected(userId: string): Promise<void> {
    const count = (this.#sockets.get(userId) ?? 0) + 1;
    this.#sockets.set(userId, count);
    if (count === 1) {
      await this.#write(userId);
      await this.#onChange?.(userId);
    }
  }

  async disconnected(userId: string): Promise<void> {
    const count = (this.#sockets.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.#sockets.set(userId, count);
      return;
    }
    this.#sockets.delete(userId);
    // Not retried: the key expires on its own within the TTL.
    await this.#store.deleteIfEquals(presenceKey(userId), this.#instanceId).then(
      () => this.#succeeded(),
      (error: unknown) => this.#failed(error),
    );
    await this.#onChange?.(userId);
  }

  /** Stops the heartbeat and clears this instance's users (a clean shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    this.#leaveStore();
    const userIds = [...this.#sockets.keys()];
    this.#sockets.clear();
    await Promise.all(userIds.map((userId) => this.#store.deleteIfEquals(presenceKey(userId), this.#instanceId))).catch(
      () => undefined,
    );
  }

  async #write(userId: string): Promise<void> {
    await this.#store.set(presenceKey(userId), this.#instanceId, PRESENCE_TTL_SECONDS).then(
      () => this.#succeeded(),
      (error: unknown) => this.#failed(error),
    );
  }

  #failed(error: unknown): void {
    if (!this.#failing) this.#logger.warn({ err: error }, 'presence store unavailable: retrying every second');
    this.#failing = true;
    if (this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#refreshAll();
    }, RETRY_MS);
    this.#retry.unref();
  }

  #succeeded(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#logger.info('presence store available again');
  }

  async #restore(): Promise<void> {
    const userIds = [...this.#sockets.keys()];
    await Promise.all(userIds.map((userId) => this.#write(userId)));
    await Promise.all(
      userIds.map((userId) =>
        this.#onChange?.(userId).catch((error: unknown) =>
          this.#logger.warn({ err: error, userId }, 'presence change not propagated'),
        ),
      ),
    );
  }

  async #refreshAll(): Promise<void> {
    await Promise.all([...this.#sockets.keys()].map((userId) => this.#write(userId)));
  }
}
