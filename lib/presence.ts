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

/** Which of these users are online now, in one round trip. */
export async function findOnlineUsers(store: KeyValueStore, userIds: readonly string[]): Promise<Set<string>> {
  const values = await store.mget(userIds.map(presenceKey));
  const online = new Set<string>();
  values.forEach((value, index) => {
    const userId = userIds[index];
    if (value !== null && userId !== undefined) online.add(userId);
  });
  return online;
}
