/**
 * `npm run migrate`: brings every subgraph's schema up to date and exits, for deployments that
 * migrate before starting new instances (each subgraph also migrates its own schema when it
 * starts). In the order the platform starts them: posts and messages reference users.
 */

import { openDatabase } from '../lib/infra/db/database.js';
import { migrateSchema } from '../lib/infra/db/migrate.js';
import { exitOnStartupError } from '../lib/infra/shutdown.js';
import { loadConfig } from '../lib/kernel/config.js';
import { createLogger } from '../lib/kernel/logger.js';
import { migrations as messages } from '../subgraphs/messages/db/migrations/index.js';
import { migrations as posts } from '../subgraphs/posts/db/migrations/index.js';
import { migrations as users } from '../subgraphs/users/db/migrations/index.js';

const SCHEMAS = [
  ['users', users],
  ['posts', posts],
  ['messages', messages],
] as const;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'migrate' });
  // Migrations run on the primary only (a replica replays them), and without the statement
  // timeout that protects requests: building an index on a large table takes what it takes.
  const database = await openDatabase(
    { ...config.database, readUrl: undefined, pool: { ...config.database.pool, statementTimeoutMs: 0 } },
    logger,
    { applicationName: 'chitlaq-migrate' },
  );
  try {
    for (const [schema, list] of SCHEMAS) {
      const applied = await migrateSchema(database.kysely, schema, list);
      logger.info({ schema, migrations: applied }, applied.length === 0 ? `${schema}: up to date` : `${schema}: migrated`);
    }
  } finally {
    await database.close();
  }
}

main().catch(exitOnStartupError);
