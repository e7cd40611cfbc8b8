/**
 * `npm run bench:fanout`: real-time delivery through one gateway instance, measured end to end
 * with graphql-transport-ws clients (bench/support/subscriber-socket.ts), on real PostgreSQL and Redis.
 *
 * Starts the users, posts and messages subgraphs and one gateway as separate processes (as in
 * a deployment), seeds `--subscribers` users into groups of 50, connects one WebSocket per
 * user subscribed to `messageAdded(conversationId)` with `sender { username }` (a field of
 * another subgraph, so every event runs a federated entity fetch), then measures latency at
 * `--rate` sends/s, throughput with `--senders` concurrent senders and delivery capacity with
 * events published straight on Redis (bench/support/fanout.ts; `npm run bench` runs the same
 * measurement as its subscription scenario).
 *
 * Everything runs on this machine: the clients compete with the servers for the same cores,
 * so the figures are a floor for a gateway with a machine of its own.
 */
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateSchema } from '../lib/infra/db/migrate.js';
import { createScratchDatabase } from '../lib/infra/db/scratch-database.js';
import { createTokenService } from '../lib/kernel/tokens.js';
import { seedDatabase } from '../scripts/seed/index.js';
import { migrations as messagesMigrations } from '../subgraphs/messages/db/migrations/index.js';
import { migrations as postsMigrations } from '../subgraphs/posts/db/migrations/index.js';
import { migrations as usersMigrations } from '../subgraphs/users/db/migrations/index.js';
import { type FanoutResult, printCapacityComparison, printFanout, runFanout } from './support/fanout.js';
import { type BenchGroup, createGroups } from './support/groups.js';
import { operation } from './support/operations.js';
import { BENCH_JWT_SECRET, startPlatformProcesses } from './support/services.js';

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    senders: { type: 'string', default: '16' },
    'shared-execution': { type: 'string', default: 'true' },
    /** `NAME=a,b`: capacity only, in alternating rounds with the services' NAME set to each value. */
    compare: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const SUBSCRIBERS = Number(args.subscribers);
const GROUP_SIZE = 50;

async function prepareData(url: string): Promise<BenchGroup[]> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const db = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateSchema(db, 'users', usersMigrations);
    await migrateSchema(db, 'posts', postsMigrations);
    await migrateSchema(db, 'messages', messagesMigrations);
    await seedDatabase(db, { users: SUBSCRIBERS, posts: 0, follows: 0, likes: 0 }, { seed: 7 });
    const { rows } = await sql<{ id: string }>`select id from users.users order by id`.execute(db);
    const userIds = rows.map((row) => row.id);
    const memberLists: string[][] = [];
    for (let start = 0; start < userIds.length; start += GROUP_SIZE) memberLists.push(userIds.slice(start, start + GROUP_SIZE));
    return await createGroups(db, memberLists);
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  const databaseServer = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseServer || !redisUrl)
    throw new Error('DATABASE_URL and REDIS_URL must be set: this benchmark measures the real services.');
  const scratch = await createScratchDatabase(databaseServer);
  try {
    console.log(`seeding ${SUBSCRIBERS} users in groups of ${GROUP_SIZE} ...`);
    const groups = await prepareData(scratch.url);
    const tokens = createTokenService({
      key: { algorithm: 'HS256', secret: BENCH_JWT_SECRET, source: 'env' },
      issuer: 'chitlaq',
      audience: 'chitlaq-graph',
      ttlSeconds: 3600,
    });
    const tokenOf = new Map<string, string>();
    for (const group of groups) for (const id of group.memberIds) tokenOf.set(id, await tokens.sign(id));
    const sharedExecution = args['shared-execution'] ?? 'true';
    const run = async (env: Record<string, string>, sendPhases: boolean) => {
      const platform = await startPlatformProcesses({
        databaseUrl: scratch.url,
        redisUrl,
        env: { SUBSCRIPTION_SHARED_EXECUTION: sharedExecution, ...env },
      });
      try {
        return await runFanout({
          gatewayUrl: platform.gatewayUrl,
          redisUrl,
          groups,
          tokenOf,
          subscription: operation('MessageAdded'),
          sendMutation: operation('SendMessage'),
          seconds: Number(args.seconds),
          rate: Number(args.rate),
          senders: Number(args.senders),
          sendPhases,
          processes: platform.processes.map((service) => ({ name: service.name, pid: service.child.pid })),
        });
      } finally {
        await platform.stop();
      }
    };
    if (args.compare === undefined) {
      const result = await run({}, true);
      console.log(
        `\n${SUBSCRIBERS} subscribers in ${groups.length} groups of ${GROUP_SIZE}, shared execution ${sharedExecution}`,
      );
      printFanout(result);
    } else {
      const [name, values] = args.compare.split('=');
      if (name === undefined || values === undefined) throw new Error('--compare takes NAME=value1,value2');
      const results = new Map<string, FanoutResult[]>(values.split(',').map((value) => [value, []]));
      for (let round = 1; round <= Number(args.rounds); round += 1) {
        for (const [value, list] of results) {
          console.log(`round ${round}: ${name}=${value}`);
          list.push(await run({ [name]: value }, false));
        }
      }
      console.log(`\n${SUBSCRIBERS} subscribers in ${groups.length} groups of ${GROUP_SIZE}, medians of ${args.rounds} rounds`);
      printCapacityComparison(name, results);
    }
  } finally {
    await scratch.drop();
  }
}

await main();
