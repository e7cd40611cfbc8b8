/**
 * `npm run bench:send`: sends/second of the messages subgraph's write path on real PostgreSQL,
 * with the write-side batcher (default) and without it (one message per transaction), measured
 * side by side in one run, alternating, so the ratio means something on a noisy machine.
 *
 * Two workloads: sends spread over many conversations (the common case) and all sends to one
 * busy group (the worst case for the per-conversation row lock, which batching turns into one
 * lock per batch instead of one per message).
 *
 * Needs DATABASE_URL (a server where it may create and drop a scratch database).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateSchema } from '../lib/infra/db/migrate.js';
import { createScratchDatabase } from '../lib/infra/db/scratch-database.js';
import { migrations } from '../subgraphs/messages/db/migrations/index.js';
import type { MessagesDatabase } from '../subgraphs/messages/db/tables.js';
import { createMessageSender, type MessageSender } from '../subgraphs/messages/services/send-messages.js';
import { type BenchGroup, createGroups } from './support/groups.js';
import { median, printTable } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '200' },
    conversations: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    pool: { type: 'string', default: '10' },
  },
});
const MESSAGES = Number(args.messages);
const CONCURRENCY = Number(args.concurrency);
const CONVERSATIONS = Number(args.conversations);
const ROUNDS = Number(args.rounds);
const POOL_SIZE = Number(args.pool);

/** `count` groups of `membersEach` made-up members (the messages schema keeps no foreign key to users). */
function createConversations(db: Kysely<MessagesDatabase>, count: number, membersEach: number): Promise<BenchGroup[]> {
  const memberLists = Array.from({ length: count }, () => Array.from({ length: membersEach }, () => randomUUID()));
  return createGroups(db as unknown as Kysely<object>, memberLists);
}

/** `CONCURRENCY` clients, each sending its next message as soon as the previous one is acknowledged. */
async function sendAll(sender: MessageSender, conversations: BenchGroup[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < MESSAGES) {
      const n = next++;
      const conversation = conversations[n % conversations.length] as BenchGroup;
      const senderId = conversation.memberIds[n % conversation.memberIds.length] as string;
      await sender.send({ conversationId: conversation.id, senderId, body: `message ${n}`, clientMessageId: randomUUID() });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  return MESSAGES / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('DATABASE_URL must name a PostgreSQL server: this benchmark measures real PostgreSQL.');
  const scratch = await createScratchDatabase(serverUrl);
  const pool = new pg.Pool({ connectionString: scratch.url, max: POOL_SIZE });
  const db = new Kysely<MessagesDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateSchema(db as unknown as Kysely<object>, 'messages', migrations);
    const workloads = {
      [`${CONVERSATIONS} conversations`]: await createConversations(db, CONVERSATIONS, 3),
      'one busy group': await createConversations(db, 1, 50),
    };
    const variants = {
      'one per transaction': () => createMessageSender(db, { maxBatchSize: 1, maxInFlight: POOL_SIZE }),
      batched: () => createMessageSender(db),
    };
    console.log(
      `${MESSAGES} sends per measurement, ${CONCURRENCY} concurrent senders, pool of ${POOL_SIZE}, ${ROUNDS} rounds (median shown)`,
    );
    const rows: string[][] = [];
    for (const [workload, conversations] of Object.entries(workloads)) {
      const rates: Record<keyof typeof variants, number[]> = { 'one per transaction': [], batched: [] };
      await sendAll(variants.batched(), conversations); // warm-up: connections, plans, caches
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const variant of Object.keys(variants) as (keyof typeof variants)[]) {
          rates[variant].push(await sendAll(variants[variant](), conversations));
        }
      }
      const unbatched = median(rates['one per transaction']);
      const batched = median(rates.batched);
      rows.push([workload, unbatched.toFixed(0), batched.toFixed(0), `${(batched / unbatched).toFixed(1)}x`]);
    }
    printTable(['workload', 'one per transaction (sends/s)', 'batched (sends/s)', 'ratio'], rows);
  } finally {
    await db.destroy();
    await scratch.drop();
  }
}

await main();
