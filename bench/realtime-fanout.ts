/**
 * `npm run bench:fanout`: real-time delivery through one gateway instance, measured end to end
 * with graphql-ws clients, on real PostgreSQL and Redis.
 *
 * Starts the users, posts and messages subgraphs and one gateway as separate processes (as in
 * a deployment), seeds `--subscribers` users into groups of 50, connects one WebSocket per
 * user subscribed to `messageAdded(conversationId)` with `sender { username }` (a field of
 * another subgraph, so every event runs a federated entity fetch), then:
 *
 *   1. latency: `--rate` sendMessage calls per second through the gateway for `--seconds`;
 *      for each delivery, the time from the send to the receipt (p50, p95, p99);
 *   2. throughput: `--senders` concurrent senders as fast as they can for `--seconds`;
 *      deliveries per second received by all clients (bounded by the send path here);
 *   3. capacity: events published straight on Redis as committed batches would be, as fast
 *      as they are delivered: the deliveries per second the gateway and messages sustain.
 *
 * Everything runs on this machine: the clients compete with the servers for the same cores,
 * so the figures are a floor for a gateway with a machine of its own.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import WebSocket from 'ws';
import { migrateSchema } from '../lib/db/migrate.js';
import { createScratchDatabase } from '../lib/db/scratch-database.js';
import { createTokenService } from '../lib/tokens.js';
import { seedDatabase } from '../scripts/seed/index.js';
import { encodeMessagesAdded, MESSAGES_ADDED_CHANNEL } from '../subgraphs/messages/message-events.js';
import { migrations as messagesMigrations } from '../subgraphs/messages/migrations/index.js';
import { migrations as postsMigrations } from '../subgraphs/posts/migrations/index.js';
import { migrations as usersMigrations } from '../subgraphs/users/migrations/index.js';
import { type BenchGroup, createGroups } from './support/groups.js';
import { freePort, type ServiceProcess, startProcess, waitUntilReady } from './support/processes.js';
import { percentile, printTable } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    senders: { type: 'string', default: '16' },
    'shared-execution': { type: 'string', default: 'true' },
  },
});
const SUBSCRIBERS = Number(args.subscribers);
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const SENDERS = Number(args.senders);
const GROUP_SIZE = 50;
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';

const SUBSCRIPTION = 'subscription ($c: ID!) { messageAdded(conversationId: $c) { id body createdAt sender { username } } }';
const SEND =
  'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id } }';

const now = () => performance.timeOrigin + performance.now();

async function prepareData(url: string): Promise<{ userIds: string[]; groups: BenchGroup[] }> {
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
    const groups = await createGroups(db, memberLists);
    return { userIds, groups };
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
  const processes: ServiceProcess[] = [];
  const sockets: Array<{ dispose(): void }> = [];
  try {
    console.log(`seeding ${SUBSCRIBERS} users in groups of ${GROUP_SIZE} ...`);
    const { groups } = await prepareData(scratch.url);

    const ports = { gateway: await freePort(), users: await freePort(), posts: await freePort(), messages: await freePort() };
    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: scratch.url,
      REDIS_URL: redisUrl,
      JWT_SECRET,
      GRAPHIQL: 'false',
      HOST: '127.0.0.1',
      GATEWAY_PORT: String(ports.gateway),
      USERS_PORT: String(ports.users),
      POSTS_PORT: String(ports.posts),
      MESSAGES_PORT: String(ports.messages),
      USERS_URL: `http://127.0.0.1:${ports.users}/graphql`,
      POSTS_URL: `http://127.0.0.1:${ports.posts}/graphql`,
      MESSAGES_URL: `http://127.0.0.1:${ports.messages}/graphql`,
      SUBSCRIPTION_SHARED_EXECUTION: args['shared-execution'] ?? 'true',
    };
    for (const name of ['users', 'posts', 'messages'] as const) {
      processes.push(startProcess(name, `subgraphs/${name}/main.ts`, env));
      await waitUntilReady(`http://127.0.0.1:${ports[name]}/readyz`);
    }
    processes.push(startProcess('gateway', 'gateway/main.ts', env));
    await waitUntilReady(`http://127.0.0.1:${ports.gateway}/readyz`);
    const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;

    const tokens = createTokenService({
      key: { algorithm: 'HS256', secret: JWT_SECRET, source: 'env' },
      issuer: 'chitlaq',
      audience: 'chitlaq-graph',
      ttlSeconds: 3600,
    });
    const tokenOf = new Map<string, string>();
    for (const group of groups) for (const id of group.memberIds) tokenOf.set(id, await tokens.sign(id));

    // One socket per user, each subscribed to its group.
    let deliveries = 0;
    let latencies: number[] | null = null;
    const received = new Map<string, number>();
    for (const group of groups) {
      for (const userId of group.memberIds) {
        const client = createClient({
          url: gatewayUrl.replace('http', 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${tokenOf.get(userId)}` },
          retryAttempts: 0,
        });
        sockets.push(client);
        client.subscribe<{ messageAdded: { body: string } }>(
          { query: SUBSCRIPTION, variables: { c: group.id } },
          {
            next: (event) => {
              const body = event.data?.messageAdded.body;
              if (body === undefined) return;
              deliveries += 1;
              received.set(userId, (received.get(userId) ?? 0) + 1);
              if (latencies !== null && body.startsWith('t=')) latencies.push(now() - Number(body.slice(2)));
            },
            error: (error) => console.error('subscription error', error),
            complete: () => undefined,
          },
        );
      }
    }

    let sequence = 0;
    const sendTimes: number[] = [];
    const send = async (group: BenchGroup, body: string) => {
      const sentAt = now();
      const sender = group.memberIds[sequence % group.memberIds.length] as string;
      sequence += 1;
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf.get(sender)}` },
        body: JSON.stringify({ query: SEND, variables: { c: group.id, b: body, k: `bench-${sequence}-${Math.random()}` } }),
      });
      const result = (await response.json()) as { errors?: unknown };
      if (result.errors !== undefined) throw new Error(`sendMessage failed: ${JSON.stringify(result.errors)}`);
      sendTimes.push(now() - sentAt);
    };

    // Every socket is live once each has received a warm-up message of its group.

    console.log(`connecting ${SUBSCRIBERS} subscribers ...`);
    const liveDeadline = Date.now() + 120_000;
    while (received.size < SUBSCRIBERS) {
      if (Date.now() > liveDeadline) throw new Error(`only ${received.size} of ${SUBSCRIBERS} subscribers became live`);
      await Promise.all(groups.map((group) => send(group, 'warm-up')));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    sendTimes.length = 0;

    // 1. Latency at a steady rate.
    latencies = [];
    const interval = 1000 / RATE;
    const latencyEnd = Date.now() + SECONDS * 1000;
    const pending: Promise<void>[] = [];
    for (let i = 0; Date.now() < latencyEnd; i += 1) {
      pending.push(send(groups[i % groups.length] as BenchGroup, `t=${now()}`));
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
    await Promise.all(pending);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const measured = latencies;
    latencies = null;
    const latencySendTimes = sendTimes.splice(0);

    // 2. Throughput: senders as fast as they go; count deliveries inside the window.
    const before = deliveries;
    const started = now();
    const throughputEnd = Date.now() + SECONDS * 1000;
    let sent = 0;
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, s) => {
        for (let i = s; Date.now() < throughputEnd; i += SENDERS) {
          await send(groups[i % groups.length] as BenchGroup, 'load');
          sent += 1;
        }
      }),
    );
    const windowDeliveries = deliveries - before;
    const elapsedSeconds = (now() - started) / 1000;
    // Let the tail drain so the next run starts clean, and count what arrived late.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const sendDeliveries = deliveries - before;

    // 3. Delivery capacity: events published straight on the pub/sub, the way a fleet of
    // messages instances would after their commits, so the send path (HTTP, PostgreSQL) is not
    // what limits. Closed loop: at most WINDOW deliveries outstanding; the rate adapts to what
    // the gateway and the messages subgraph deliver.
    const publisher = new Redis(redisUrl);
    const WINDOW = 20_000;
    const nextSeq = new Map(groups.map((group) => [group.id, 1_000_000]));
    let published = 0;
    latencies = [];
    const capacityStart = now();
    const capacityEnd = Date.now() + SECONDS * 1000;
    const deliveredBefore = deliveries;
    while (Date.now() < capacityEnd) {
      if (published * GROUP_SIZE - (deliveries - deliveredBefore) > WINDOW) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const group = groups[published % groups.length] as BenchGroup;
      const seq = (nextSeq.get(group.id) ?? 0) + 1;
      nextSeq.set(group.id, seq);
      const row = {
        id: randomUUID(),
        conversation_id: group.id,
        seq,
        sender_id: group.memberIds[seq % GROUP_SIZE] as string,
        body: `t=${now()}`,
        client_message_id: randomUUID(),
        created_at: new Date(),
      };
      await publisher.publish(MESSAGES_ADDED_CHANNEL, encodeMessagesAdded([row], new Map([[group.id, group.memberIds]])));
      published += 1;
    }
    const capacitySeconds = (now() - capacityStart) / 1000;
    const capacityDeliveries = deliveries - deliveredBefore;
    const capacityLatencies = latencies;
    latencies = null;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    publisher.disconnect();

    console.log(
      `\n${SUBSCRIBERS} subscribers in ${groups.length} groups of ${GROUP_SIZE}, shared execution ${env.SUBSCRIPTION_SHARED_EXECUTION}`,
    );
    printTable(
      ['measure', 'value'],
      [
        [`latency at ${RATE} sends/s (${RATE * GROUP_SIZE} deliveries/s), deliveries`, String(measured.length)],
        ['latency p50 (ms)', percentile(measured, 50).toFixed(1)],
        ['latency p95 (ms)', percentile(measured, 95).toFixed(1)],
        ['latency p99 (ms)', percentile(measured, 99).toFixed(1)],
        [
          'sendMessage round trip p50 / p95 (ms), latency phase',
          `${percentile(latencySendTimes, 50).toFixed(1)} / ${percentile(latencySendTimes, 95).toFixed(1)}`,
        ],
        [`throughput: sends by ${SENDERS} senders in ${SECONDS} s`, String(sent)],
        [
          'sendMessage round trip p50 / p95 (ms), throughput phase',
          `${percentile(sendTimes, 50).toFixed(1)} / ${percentile(sendTimes, 95).toFixed(1)}`,
        ],
        ['deliveries/s inside the window', (windowDeliveries / elapsedSeconds).toFixed(0)],
        ['expected deliveries (sends x 50)', String(sent * GROUP_SIZE)],
        ['received deliveries', String(sendDeliveries)],
        [`capacity: events published on the pub/sub in ${SECONDS} s`, String(published)],
        ['capacity: deliveries/s', (capacityDeliveries / capacitySeconds).toFixed(0)],
        [
          'capacity: publish-to-receipt p50 / p95 / p99 (ms)',
          [50, 95, 99].map((p) => percentile(capacityLatencies, p).toFixed(1)).join(' / '),
        ],
      ],
    );
  } finally {
    for (const socket of sockets) socket.dispose();
    for (const service of processes.reverse()) await service.stop();
    await scratch.drop();
  }
}

await main();
