/**
 * `npm start`: the whole platform in one process. Embedded PostgreSQL (PGlite under DATA_DIR)
 * and an in-memory store unless DATABASE_URL / REDIS_URL are set.
 */
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { exitOnStartupError, onShutdownSignal } from '../lib/shutdown.js';
import { startPlatform } from './platform.js';
import { seedDemoIfEmpty } from './seed/index.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const platform = await startPlatform(config, logger);
  onShutdownSignal(logger, () => platform.stop(), { drainMs: config.shutdownDrainMs });
  // A fresh embedded database gets a small demo data set, so GraphiQL has something to show.
  const demo = config.database.url === undefined ? await seedDemoIfEmpty(platform.database.kysely) : null;

  const database =
    config.database.url === undefined
      ? `embedded PostgreSQL (PGlite) in ${config.database.dataDir}`
      : 'PostgreSQL at DATABASE_URL';
  const store = config.redis.url === undefined ? 'in-memory store' : 'Redis at REDIS_URL';
  console.log(
    [
      '',
      'ChitLaq Graph is ready.',
      '',
      `  GraphiQL and GraphQL   ${platform.gatewayUrl}`,
      `  users subgraph         ${platform.subgraphs.users.url}`,
      `  posts subgraph         ${platform.subgraphs.posts.url}`,
      `  messages subgraph      ${platform.subgraphs.messages.url}`,
      `  health                 ${platform.gatewayOrigin}/healthz  ${platform.gatewayOrigin}/readyz`,
      '',
      `  data: ${database}; cache: ${store}`,
      config.auth.key.algorithm === 'HS256' && config.auth.key.source === 'dev-file'
        ? `  tokens: signed with a development secret kept in ${config.database.dataDir} (set JWT_SECRET in production)`
        : '',
      demo === null ? '' : `  demo data seeded; sign in with ${demo.email} / ${demo.password}`,
      '',
    ]
      .filter((line, index, lines) => line !== '' || lines[index - 1] !== '')
      .join('\n'),
  );
}

main().catch(exitOnStartupError);
