import type { Logger } from '../kernel/logger.js';
import type { KeyValueStore } from './key-value-store.js';

/**
 * Presence: a user is online while a key `presence:<userId>` exists. The process holding the
 * user's WebSocket writes it with a short TTL and refreshes it by heartbeat, so a crashed
 * instance's users drop offline on their own. This module is the shared naming and the read side.
 */
export const PRESENCE_TTL_SECONDS = 60;

export function presenceKey(userId: string): string {
  return `presence:${userId}`;
}

/** Stores whose presence reads currently fail: the outage is logged once, not per request. */
const unavailable = new WeakSet<KeyValueStore>();

/**
 * Which of these users are online now, in one round trip. Presence is a hint, so a store that
 * cannot answer (Redis down) makes everyone read as offline rather than failing the request;
 * the first failure of an outage is logged, and so is the first answer after it.
 */
export async function findOnlineUsers(store: KeyValueStore, userIds: readonly string[], logger: Logger): Promise<Set<string>> {
  let values: Array<string | null>;
  try {
    values = await store.mget(userIds.map(presenceKey));
  } catch (error) {
    if (!unavailable.has(store)) {
      unavailable.add(store);
      logger.warn({ err: error }, 'presence unavailable: every user reads as offline until the store answers again');
    }
    return new Set();
  }
  if (unavailable.delete(store)) logger.info('presence available again');
  const online = new Set<string>();
  values.forEach((value, index) => {
    const userId = userIds[index];
    if (value !== null && userId !== undefined) online.add(userId);
  });
  return online;
}
