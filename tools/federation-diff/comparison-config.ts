import { basename } from 'node:path';
import { type Config, loadConfig } from '../../lib/kernel/config.js';

/**
 * The config ours runs with in a comparison: `env` (lib/kernel/config.ts variables) over defaults fit
 * for a local run, under what the comparison fixes: loopback, a data directory and cache
 * namespace of its own, and rate limits no comparison reaches (they are not about federation).
 */
export function comparisonConfig(
  env: NodeJS.ProcessEnv,
  fixed: { dataDir: string; responseCache: boolean; entityCache?: boolean },
): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...env,
    HOST: '127.0.0.1',
    DATA_DIR: fixed.dataDir,
    CACHE_NAMESPACE: basename(fixed.dataDir),
    RESPONSE_CACHE_ENABLED: String(fixed.responseCache),
    ENTITY_CACHE_ENABLED: String(fixed.entityCache ?? true),
    RATE_LIMIT_PER_MINUTE: '1000000000',
    LOGIN_ATTEMPTS_PER_15_MIN: '1000000000',
    REGISTER_ATTEMPTS_PER_HOUR: '1000000000',
  });
}
