/**
 * `npm run seed -- --users N --posts M --follows K [--likes L] [--conversations C --messages X] [--seed S]`:
 * fills the database (DATABASE_URL, or the embedded PGlite under DATA_DIR) with realistic
 * users, follows, posts, hashtags, likes, conversations and messages for development and
 * benchmarks. Migrates the schemas first, so it works on a fresh database too; adds to
 * whatever is already there.
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../lib/infra/db/database.js';
import { migrateSchema } from '../lib/infra/db/migrate.js';
import { exitOnStartupError } from '../lib/infra/shutdown.js';
import { loadConfig } from '../lib/kernel/config.js';
import { createLogger } from '../lib/kernel/logger.js';
import { migrations as messagesMigrations } from '../subgraphs/messages/db/migrations/index.js';
import { migrations as postsMigrations } from '../subgraphs/posts/db/migrations/index.js';
import { migrations as usersMigrations } from '../subgraphs/users/db/migrations/index.js';
import { checkCounts, defaultLikes, SEED_PHASES, type SeedCounts, type SeedSummary, seedDatabase } from './seed/index.js';
import { createProgressBars } from './seed/progress-bars.js';

const USAGE = `Usage: npm run seed -- --users N --posts M --follows K [--likes L] [--conversations C --messages X] [--seed S]

  --users N          accounts to create (all with the demo password)
  --posts M          posts, spread over the last 30 days
  --follows K        distinct follow edges
  --likes L          distinct likes (default: 2 per post, at most one per user and post)
  --conversations C  conversations, 85 % 1:1 (mostly between people who follow each other), the rest groups (default: 0)
  --messages X       messages spread over the conversations, busy ones get most (default: 0)
  --seed S           PRNG seed, for reproducible data (default: 42)

Example: npm run seed -- --users 20000 --posts 500000 --follows 200000 --conversations 2000 --messages 200000`;

interface SeedArgs {
  counts: SeedCounts;
  seed: number;
}

/** Parses and validates the arguments; throws a message that goes above the usage text. */
function parseSeedArgs(args: string[]): SeedArgs | 'help' {
  const { values } = parseArgs({
    args,
    options: {
      users: { type: 'string' },
      posts: { type: 'string' },
      follows: { type: 'string' },
      likes: { type: 'string' },
      conversations: { type: 'string' },
      messages: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const problems: string[] = [];
  const count = (
    name: 'users' | 'posts' | 'follows' | 'likes' | 'conversations' | 'messages' | 'seed',
    fallback?: number,
  ): number => {
    const raw = values[name];
    if (raw === undefined) {
      if (fallback === undefined) problems.push(`--${name} is required`);
      return fallback ?? 0;
    }
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))
      problems.push(`--${name} must be a non-negative integer, got "${raw}"`);
    return Number(raw);
  };
  const users = count('users');
  const posts = count('posts');
  const follows = count('follows');
  const likes = count('likes', defaultLikes({ users, posts }));
  const conversations = count('conversations', 0);
  const messages = count('messages', 0);
  const seed = count('seed', 42);
  if (seed > 0xffffffff) problems.push('--seed must be below 2^32');
  const counts = { users, posts, follows, likes, conversations, messages };
  if (problems.length === 0) problems.push(...checkCounts(counts));
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { counts, seed };
}

function printSummary(summary: SeedSummary): void {
  const seconds = summary.elapsedMs / 1000;
  const total = SEED_PHASES.reduce((sum, phase) => sum + summary.rows[phase], 0);
  const lines = [
    '',
    `Seeded ${total.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en-US')} rows/s):`,
    ...SEED_PHASES.map(
      (phase) =>
        `  ${phase.padEnd(13)} ${summary.rows[phase].toLocaleString('en-US').padStart(11)}  ${(summary.phaseMs[phase] / 1000).toFixed(1).padStart(6)} s`,
    ),
    '',
    summary.demoLogin === null
      ? 'No users were seeded, so there is no demo login.'
      : `Demo login: ${summary.demoLogin.email} / ${summary.demoLogin.password} (@${summary.demoLogin.username})`,
    '',
  ];
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  let args: SeedArgs | 'help';
  try {
    args = parseSeedArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n\n${USAGE}`);
    process.exit(1);
  }
  if (args === 'help') {
    console.log(USAGE);
    return;
  }

  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  // Bulk writes (and the migrations first): the primary only, without the requests' statement timeout.
  const database = await openDatabase(
    { ...config.database, readUrl: undefined, pool: { ...config.database.pool, statementTimeoutMs: 0 } },
    logger,
    { applicationName: 'chitlaq-seed' },
  );
  const bars = createProgressBars();
  try {
    await migrateSchema(database.kysely, 'users', usersMigrations);
    await migrateSchema(database.kysely, 'posts', postsMigrations);
    await migrateSchema(database.kysely, 'messages', messagesMigrations);
    const summary = await seedDatabase(database.kysely, args.counts, { seed: args.seed, onProgress: bars.onProgress });
    bars.stop();
    printSummary(summary);
  } finally {
    bars.stop();
    await database.close();
  }
}

main().catch(exitOnStartupError);
