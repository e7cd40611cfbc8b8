import type { Config } from '../../lib/kernel/config.js';
import type { Logger } from '../../lib/kernel/logger.js';
import { MemoryResponseCacheStore, type ResponseCacheStore } from './cache-store.js';
import { RedisResponseCacheStore } from './redis-cache-store.js';

/** Redis when `redisUrl` is set (shared by every gateway instance, hot responses kept in process too), otherwise process memory. */
export function openResponseCacheStore(
  settings: Config['responseCache'] & { redisUrl: string | undefined; namespace: string; guardMs: number },
  logger: Logger,
): ResponseCacheStore {
  if (settings.redisUrl === undefined) return new MemoryResponseCacheStore({ maxEntries: settings.maxEntries });
  const longestTtlSeconds = Math.max(settings.defaultTtlSeconds, ...Object.values(settings.ttlSeconds));
  return new RedisResponseCacheStore({
    url: settings.redisUrl,
    logger,
    commandTimeoutMs: settings.redisTimeoutMs,
    maxTtlMs: longestTtlSeconds * 1000,
    guardMs: settings.guardMs,
    prefix: `${settings.namespace}:response-cache:`,
    keptEntries: settings.localMaxEntries,
  });
}
