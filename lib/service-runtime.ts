import type { Config } from './config.js';
import { type Database, openDatabase } from './db/database.js';
import { type KeyValueStore, openKeyValueStore } from './key-value-store.js';
import type { Logger } from './logger.js';

/**
 * Shared resources of one standalone process (a single subgraph or the gateway run on its own,
 * as in a multi-instance deployment). Standalone processes need the real servers: an embedded
 * PGlite directory can have only one owner, and in-memory state is invisible to other processes.
 */
export async function openStandaloneResources(
  config: Config,
  logger: Logger,
  needs: { database: boolean },
): Promise<{ database: Database | undefined; store: KeyValueStore }> {
  if (needs.database && config.database.url === undefined) {
    throw new Error(
      'DATABASE_URL: required to run a subgraph as its own process (`npm start` runs everything on the embedded database)',
    );
  }
  if (config.redis.url === undefined) {
    logger.warn('REDIS_URL is not set: cache and presence stay inside this process and are not shared with other instances');
  }
  const database = needs.database ? await openDatabase(config.database, logger) : undefined;
  return { database, store: openKeyValueStore(config.redis.url, logger) };
}
