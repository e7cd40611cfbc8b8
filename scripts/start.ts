/**
 * `npm start`: the whole platform in one process. Embedded PostgreSQL (PGlite under DATA_DIR)
 * and an in-memory store unless DATABASE_URL / REDIS_URL are set.
 */

import { exitOnStartupError, onShutdownSignal } from '../lib/infra/shutdown.js';
import { loadConfig } from '../lib/kernel/config.js';
import { createLogger } from '../lib/kernel/logger.js';
import type { SeedPhase, seedDemoIfEmpty } from './seed/index.js';

const startedAt = performance.now();

/** Start-up is silent for seconds on a first run otherwise (creating PGlite, migrating, seeding). */
function step(text: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`[${seconds.padStart(5)} s] ${text}`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  // The platform's modules load after the first line: on a first run tsx compiles them for seconds.
  step('ChitLaq Graph is starting (loading its code)');
  const { startPlatform } = await import('../platform/platform.js');
  const platform = await startPlatform(config, logger, { onStep: step });
  onShutdownSignal(logger, () => platform.stop(), { drainMs: config.shutdownDrainMs });
  // Operators reload the supergraph without a restart (the file is also watched).
  process.on('SIGHUP', () => void platform.gateway.reloadSupergraph());
  step(`gateway answering at ${platform.gatewayUrl}`);
  const demo = config.database.url === undefined ? await demoLogin(platform.database.kysely, config.database.dataDir) : null;
  // GraphiQL's Login tab then signs in as the demo account.
  if (demo !== null) platform.announceDemoLogin(demo);

  const database =
    config.database.url === undefined
      ? `embedded PostgreSQL (PGlite) in ${config.database.dataDir}`
      : 'PostgreSQL at DATABASE_URL';
  const store = config.redis.url === undefined ? 'in-memory store' : 'Redis at REDIS_URL';
  console.log(
    [
      '',
      `ChitLaq Graph is ready (${((performance.now() - startedAt) / 1000).toFixed(1)} s).`,
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
      demo === null ? '' : `  demo login: ${demo.email} / ${demo.password} (@${demo.username})`,
      '',
    ]
      .filter((line, index, lines) => line !== '' || lines[index - 1] !== '')
      .join('\n'),
  );
}

/**
 * A fresh embedded database gets a small demo data set, so GraphiQL has something to show;
 * later starts print the login that first start seeded.
 */
async function demoLogin(db: Parameters<typeof seedDemoIfEmpty>[0], dataDir: string) {
  const { seedDemoIfEmpty } = await import('./seed/index.js');
  const { recallDemoLogin, rememberDemoLogin } = await import('./demo-login.js');
  const seeded = await seedDemoIfEmpty(db, { onProgress: seedProgressPrinter() });
  if (seeded !== null) {
    rememberDemoLogin(dataDir, seeded);
    return seeded;
  }
  return recallDemoLogin(dataDir, db);
}

/** One line per seed phase when it ends (no bars: a process manager's log is not a terminal). */
function seedProgressPrinter(): (progress: { phase: SeedPhase; done: number; total: number }) => void {
  const finished = new Set<SeedPhase>();
  return ({ phase, done, total }) => {
    if (finished.size === 0 && done === 0 && phase === 'users') {
      step('seeding demo data (an empty database gets a few users, posts and follows)');
    }
    if (done === total && total > 0 && !finished.has(phase)) {
      finished.add(phase);
      step(`  seeded ${total} ${phase}`);
    }
  };
}

main().catch(exitOnStartupError);
