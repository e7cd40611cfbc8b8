/**
 * `npm run bench` (full) and `npm run bench -- --quick` (a tenth of the data, short runs, a few
 * minutes): the platform's performance on this machine, with real PostgreSQL
 * (DATABASE_URL, a server where the bench may create its own database) and Redis (REDIS_URL).
 *
 *   1. seeds the bench's own database (chitlaq_bench_<mode>; reused when its marker matches);
 *   2. pins itself (the load generator) and the subgraphs to one core and every gateway under
 *      test to the other (taskset, bench/support/cpu-pinning.ts; --no-pin: unpinned);
 *   3. starts users, posts, messages and three gateways as separate processes (caches on; both
 *      caches off; entity cache off), and runs the scenarios with a closed-loop undici load
 *      generator in this process: feed, public reads cached vs uncached (alternating), search
 *      (and EXPLAIN of its statements, bench/search-plan.ts), sendMessage, the feed scenario mix
 *      with the entity cache on vs off (alternating), the seed's k6 load model replayed open
 *      (bench/support/seed-load-model.ts), and subscriptions (bench/support/fanout.ts);
 *   4. runs the cross-subgraph query through our gateway (no caches) and three peers on the same
 *      subgraph processes, Apollo Server + @apollo/gateway, Hive Gateway, and Hive Gateway with
 *      the Rust query planner, in alternating rounds whose order rotates (the bench/peers
 *      package; the first run installs it, `npm ci --prefix bench/peers`);
 *   5. writes bench/results/<timestamp>.json (a `figures` list) and bench/results/latest.html,
 *      and prints each figure next to its target.
 *
 * Options: --quick, --reseed (seed again even if the marker matches), --no-peers, --no-pin,
 * --connections N, --seconds N, --rounds N, --subscribers N, --model-scale X (the seed's users).
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createTokenService } from '../lib/kernel/tokens.js';
import { DEMO_PASSWORD, type SeedCounts } from '../scripts/seed/index.js';
import { createRandom, createZipfSampler, type Random, type ZipfSampler } from '../scripts/seed/random.js';
import { describePlans, explainSearch, pickPlanTerms, searchPlanFigures, type TermPlan } from './search-plan.js';
import { prepareBenchDatabase } from './support/bench-database.js';
import { setUpPinning } from './support/cpu-pinning.js';
import { type FanoutResult, runFanout } from './support/fanout.js';
import { countersBetween, snapshotGatewayCounters } from './support/gateway-metrics.js';
import { type BenchGroup, createGroups } from './support/groups.js';
import { type LoadRequest, type LoadResult, latencyCurve, latencySummary, runLoad } from './support/load.js';
import { type LoadSession, type OpenLoadResult, runOpenLoad } from './support/open-load.js';
import { type OperationName, operation, operationSources } from './support/operations.js';
import { ensurePeersInstalled } from './support/peer-install.js';
import { assertPeersAgree, type Peer, startApolloServerPeer, startHiveGatewayPeer, writeSupergraph } from './support/peers.js';
import { cpuSecondsOfTree } from './support/process-cpu.js';
import { type BenchReport, type Figure, figure, type LatencySeries, printSummary, writeReport } from './support/report.js';
import { roundOrder } from './support/rounds.js';
import { sampleSearchTerms } from './support/search-terms.js';
import { BENCH_SEED, BENCH_SEED_COUNTS } from './support/seed-counts.js';
import { type OpenScenarioPlan, planScenario, SEED_SCENARIOS, type SeedScenarioName } from './support/seed-load-model.js';
import { BENCH_JWT_SECRET, type RunningPlatform, startPlatformProcesses } from './support/services.js';
import { type HistogramSnapshot, quantileBetween, snapshotSqlHistogram } from './support/sql-metrics.js';
import { median, percentile } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reseed: { type: 'boolean', default: false },
    'no-peers': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'model-scale': { type: 'string' },
    connections: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    subscribers: { type: 'string' },
  },
});

interface Profile {
  readonly counts: SeedCounts;
  /** Concurrent connections of every HTTP scenario: the seed's 500 virtual users of feed_loading (full). */
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Alternating rounds of the comparisons (cached vs uncached, our gateway vs peers); medians reported. */
  readonly rounds: number;
  readonly subscribers: number;
  readonly fanoutSeconds: number;
  /** The seed's load model (open, bench/support/seed-load-model.ts) at this share of its users. */
  readonly modelScale: number;
}

const PROFILES: Record<'full' | 'quick', Profile> = {
  full: {
    counts: BENCH_SEED_COUNTS.full,
    connections: 500,
    seconds: 20,
    warmupSeconds: 3,
    rounds: 3,
    subscribers: 1000,
    fanoutSeconds: 10,
    modelScale: 1,
  },
  quick: {
    counts: BENCH_SEED_COUNTS.quick,
    connections: 50,
    seconds: 4,
    warmupSeconds: 1,
    rounds: 2,
    subscribers: 200,
    fanoutSeconds: 4,
    modelScale: 0.05,
  },
};

const MODE = args.quick === true ? 'quick' : 'full';
const base = PROFILES[MODE];
const PROFILE: Profile = {
  ...base,
  connections: Number(args.connections ?? base.connections),
  seconds: Number(args.seconds ?? base.seconds),
  rounds: Number(args.rounds ?? base.rounds),
  subscribers: Number(args.subscribers ?? base.subscribers),
  modelScale: Number(args['model-scale'] ?? base.modelScale),
};
const SEED = BENCH_SEED;
/** HTTP p95 goal of the seed (API response time) and its other goals. */
const TARGET = {
  httpP95: '< 150',
  deliveryP95: '< 100',
  sqlP95: '< 50',
  hitRate: '> 0.8',
  cacheSpeedup: '>= 10',
  deliveriesPerGatewayCore: '>= 50000',
};
const GROUP_SIZE = 50;
/** An open-model answer later than this is a failure: a run over capacity ends instead of queueing for minutes. */
const OPEN_MODEL_TIMEOUT_MS = 10_000;

const log = (line: string) => console.log(`[bench ${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const T0 = performance.now();

/** The seeded data the requests draw from, popular items first where popularity matters. */
interface Workload {
  readonly feedViewers: string[];
  readonly usernames: string[];
  readonly postIds: string[];
  readonly tags: string[];
  readonly searchTerms: string[];
  readonly senders: { conversationId: string; userId: string }[];
  readonly tokenOf: Map<string, string>;
  /** Seeded accounts' emails (feed viewers), for the open model's Login (password DEMO_PASSWORD). */
  readonly emailOf: Map<string, string>;
  readonly groups: BenchGroup[];
}

async function loadWorkload(url: string, subscribers: number): Promise<Workload> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const db = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
  try {
    const pluck = async <T>(query: ReturnType<typeof sql<{ v: T }>>) => (await query.execute(db)).rows.map((row) => row.v);
    const feedViewers = await pluck<string>(
      sql`select follower_id as v from users.follows group by follower_id order by random() limit 2000`,
    );
    const usernames = await pluck<string>(sql`
      select u.username as v from users.users u
        left join (select followee_id, count(*) as n from users.follows group by followee_id) f on f.followee_id = u.id
       order by coalesce(f.n, 0) desc, u.id limit 2000`);
    const postIds = await pluck<string>(sql`select id as v from posts.posts order by likes_count desc, id limit 2000`);
    const tags = await pluck<string>(sql`
      select tag as v from posts.post_hashtags group by tag order by count(*) desc limit 150`);
    const searchTerms = await sampleSearchTerms(db);
    const { rows: emails } = await sql<{ id: string; email: string }>`
      select id, email from users.users where id = any(${feedViewers})`.execute(db);
    const { rows: senders } = await sql<{ conversationId: string; userId: string }>`
      select m.conversation_id as "conversationId", m.user_id as "userId"
        from messages.members m join messages.conversations c on c.id = m.conversation_id
       where c.title is null or c.title not like 'bench group%'
       order by random() limit 3000`.execute(db);
    // Subscribers: users in groups of 50 made for this run (runs of a reused database add groups).
    const subscriberIds = await pluck<string>(sql`select id as v from users.users order by random() limit ${subscribers}`);
    const memberLists: string[][] = [];
    for (let start = 0; start + GROUP_SIZE <= subscriberIds.length; start += GROUP_SIZE)
      memberLists.push(subscriberIds.slice(start, start + GROUP_SIZE));
    const groups = await createGroups(db, memberLists);
    const tokens = createTokenService({
      key: { algorithm: 'HS256', secret: BENCH_JWT_SECRET, source: 'env' },
      issuer: 'chitlaq',
      audience: 'chitlaq-graph',
      ttlSeconds: 24 * 3600,
    });
    const tokenOf = new Map<string, string>();
    for (const id of [...feedViewers, ...senders.map((s) => s.userId), ...subscriberIds])
      if (!tokenOf.has(id)) tokenOf.set(id, await tokens.sign(id));
    const emailOf = new Map(emails.map((row) => [row.id, row.email]));
    return { feedViewers, usernames, postIds, tags, searchTerms, senders, tokenOf, emailOf, groups };
  } finally {
    await db.destroy();
  }
}

/** Request builders: each scenario's stream of requests, drawn with Zipf skew where real traffic has it. */
function requestMakers(workload: Workload, random: Random) {
  const zipf = (items: readonly string[], exponent: number): { draw(): string } => {
    const sampler: ZipfSampler = createZipfSampler(Math.max(1, items.length), exponent);
    return { draw: () => items[sampler.sample(random)] as string };
  };
  const users = zipf(workload.usernames, 1);
  const posts = zipf(workload.postIds, 1);
  const tags = zipf(workload.tags, 1);
  const terms = zipf(workload.searchTerms, 0.8);
  const body = (name: OperationName, variables: Record<string, unknown>, document = operation(name)) =>
    JSON.stringify({ query: document, operationName: name, variables });
  const signedIn = (userId: string) => ({ authorization: `Bearer ${workload.tokenOf.get(userId)}` });
  const viewer = () => random.pick(workload.feedViewers);
  let messageNumber = 0;
  const makers = {
    feed: (): LoadRequest => ({ body: body('Feed', { first: 20 }), headers: signedIn(viewer()) }),
    /** Anonymous public reads: profiles and posts, popular ones most. */
    publicRead: (): LoadRequest =>
      random.chance(0.5)
        ? { body: body('UserProfile', { username: users.draw() }) }
        : { body: body('Post', { id: posts.draw() }) },
    search: (): LoadRequest => ({ body: body('SearchPosts', { query: terms.draw(), first: 20 }), headers: signedIn(viewer()) }),
    /** One anonymous public query, the same every time: the most liked post with its author. */
    repeatedPublicRead: (): LoadRequest => ({ body: body('Post', { id: workload.postIds[0] }) }),
    /** The comparison's cross-subgraph query, with the same document text for every gateway. */
    entity: (): LoadRequest => ({ body: body('PostsByHashtag', { tag: tags.draw(), first: 20 }) }),
    sendMessage: (): LoadRequest => {
      const { conversationId, userId } = random.pick(workload.senders);
      messageNumber += 1;
      return {
        body: body('SendMessage', {
          conversationId,
          body: `bench message ${messageNumber}`,
          clientMessageId: `bench-${Date.now().toString(36)}-${messageNumber}-${random.int(1e9)}`,
        }),
        headers: signedIn(userId),
      };
    },
    /** What a signed-in student does in the app: the feed, then profiles, posts, tags and trends. */
    mix: (): LoadRequest => {
      const roll = random.next();
      const headers = signedIn(viewer());
      if (roll < 0.3) return { body: body('Feed', { first: 20 }), headers };
      if (roll < 0.55) return { body: body('UserProfile', { username: users.draw() }), headers };
      if (roll < 0.8) return { body: body('Post', { id: posts.draw() }), headers };
      if (roll < 0.9) return { body: body('TrendingHashtags', { limit: 10 }), headers };
      return { body: body('PostsByHashtag', { tag: tags.draw(), first: 20 }), headers };
    },
  };
  const bearer = (token: unknown) => (typeof token === 'string' ? { authorization: `Bearer ${token}` } : null);
  const labelled = (name: OperationName, variables: Record<string, unknown>, headers?: Record<string, string>): LoadRequest => ({
    body: body(name, variables),
    label: name,
    ...(headers === undefined ? {} : { headers }),
  });
  type FeedPage = { feed?: { nodes?: { id: string }[]; pageInfo?: { hasNextPage: boolean; endCursor: string | null } } } | null;
  const runId = Date.now().toString(36);
  let registrations = 0;
  /** The seed's k6 iterations (k6/*.js), as sessions of the open model (bench/support/seed-load-model.ts). */
  const sessions: Record<SeedScenarioName, () => LoadSession> = {
    /** k6/feed_loading.js: Login, Feed, two more pages while there are any, Post (one of them), LikePost, SearchPosts. */
    feed_loading: () => {
      const userId = random.pick(workload.feedViewers);
      const email = workload.emailOf.get(userId) as string;
      const token = (answers: readonly unknown[]) => bearer((answers[0] as { login?: { token?: unknown } } | null)?.login?.token);
      const nextPage = (answers: readonly unknown[], page: number) => {
        const info = (answers[page] as FeedPage)?.feed?.pageInfo;
        const headers = token(answers);
        return headers === null || info?.hasNextPage !== true
          ? null
          : labelled('Feed', { first: 20, after: info.endCursor }, headers);
      };
      let opened: string | null = null;
      return {
        steps: [
          () => labelled('Login', { email, password: DEMO_PASSWORD }),
          (answers) => {
            const headers = token(answers);
            return headers === null ? null : labelled('Feed', { first: 20 }, headers);
          },
          (answers) => nextPage(answers, 1),
          (answers) => nextPage(answers, 2),
          (answers) => {
            const ids = [1, 2, 3].flatMap((page) => (answers[page] as FeedPage)?.feed?.nodes?.map((node) => node.id) ?? []);
            const headers = token(answers);
            if (headers === null || ids.length === 0) return null;
            opened = random.pick(ids);
            return labelled('Post', { id: opened }, headers);
          },
          (answers) => {
            const headers = token(answers);
            return headers === null || opened === null || answers[4] == null
              ? null
              : labelled('LikePost', { id: opened }, headers);
          },
          (answers) => {
            const headers = token(answers);
            return headers === null ? null : labelled('SearchPosts', { query: terms.draw(), first: 20 }, headers);
          },
        ],
      };
    },
    /** k6/user_registration.js: Register a new user, Login, UpdateProfile. */
    user_registration: () => {
      registrations += 1;
      const number = registrations;
      const name = `b${runId}_${number.toString(36)}`;
      const email = `${name}@bench.example.edu`;
      return {
        steps: [
          () =>
            labelled('Register', {
              input: {
                email,
                username: name,
                password: DEMO_PASSWORD,
                displayName: `bench ${name}`,
                university: 'Bench University',
              },
            }),
          (answers) => (answers[0] == null ? null : labelled('Login', { email, password: DEMO_PASSWORD })),
          (answers) => {
            const headers = bearer((answers[1] as { login?: { token?: unknown } } | null)?.login?.token);
            return headers === null
              ? null
              : labelled(
                  'UpdateProfile',
                  {
                    input: {
                      displayName: `bench user ${number}`,
                      bio: `Load-test account of run ${runId}.`,
                      university: 'Bench University',
                    },
                  },
                  headers,
                );
          },
        ],
      };
    },
    /** k6/messaging.js, its HTTP part: a sender's SendMessage (the subscriptions are the fan-out part's). */
    messaging: () => {
      const request = makers.sendMessage();
      return { steps: [() => ({ ...request, label: 'SendMessage' })] };
    },
  };
  return { ...makers, sessions };
}

interface ScenarioRecord {
  name: string;
  target: string;
  connections: number;
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  hitRate: number | null;
  sqlP95: number | null;
  errorSamples: string[];
  curve: [number, number][];
  /** CPU milliseconds the target gateway process (tree) used per request during the run. */
  gatewayCpuMsPerRequest: number | null;
  /** Cores the target gateway used during the run (CPU seconds ÷ wall seconds): about 1 on its own core is saturated. */
  gatewayCpuCores: number | null;
  /** From our gateway's /metrics around the run (bench/support/gateway-metrics.ts); null for peers or without the counter. */
  subgraphRequestsPerOperation: number | null;
  entityHitRate: number | null;
  [key: string]: unknown;
}

function record(
  name: string,
  target: string,
  result: LoadResult,
  sqlP95: number | null,
  gatewayCpuSeconds: number | null,
  counters: ReturnType<typeof countersBetween> | null,
): ScenarioRecord {
  const cached = result.cache.hits + result.cache.misses;
  return {
    name,
    target,
    connections: PROFILE.connections,
    requests: result.requests,
    seconds: result.seconds,
    rps: result.requestsPerSecond,
    ...latencySummary(result.latencies),
    errorRate: result.errorRate,
    hitRate: cached === 0 ? null : result.cache.hits / cached,
    sqlP95,
    errorSamples: result.errorSamples,
    curve: latencyCurve(result.latencies),
    gatewayCpuMsPerRequest:
      gatewayCpuSeconds === null || result.requests === 0 ? null : (gatewayCpuSeconds * 1000) / result.requests,
    gatewayCpuCores: gatewayCpuSeconds === null ? null : gatewayCpuSeconds / result.seconds,
    subgraphRequestsPerOperation: counters?.subgraphRequestsPerOperation ?? null,
    entityHitRate: counters?.entityHitRate ?? null,
  };
}

/** The process id serving each gateway URL, so its CPU time can be read around a run. */
const gatewayPids = new Map<string, number>();
/** Our gateways' URLs, whose /metrics counters are read around a run (the peers have none). */
const ourGateways = new Set<string>();

/** Runs `make` against `url` for the profile's duration, after a warm-up; with the SQL p95 of just that run. */
async function measure(
  name: string,
  target: string,
  url: string,
  make: () => LoadRequest,
  sqlOrigins: readonly string[],
): Promise<ScenarioRecord> {
  await runLoad({ url, connections: PROFILE.connections, seconds: PROFILE.warmupSeconds, next: make });
  const before = await snapshotSqlHistogram(sqlOrigins);
  const pid = gatewayPids.get(url);
  const ours = ourGateways.has(url);
  const countersBefore = ours ? await snapshotGatewayCounters(url) : null;
  const cpuBefore = pid === undefined ? null : cpuSecondsOfTree(pid);
  const result = await runLoad({ url, connections: PROFILE.connections, seconds: PROFILE.seconds, next: make });
  const cpuAfter = pid === undefined ? null : cpuSecondsOfTree(pid);
  const countersAfter = ours ? await snapshotGatewayCounters(url) : null;
  const after = await snapshotSqlHistogram(sqlOrigins);
  const cpu = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  const counters =
    countersBefore === null || countersAfter === null ? null : countersBetween(countersBefore, countersAfter, result.requests);
  const scenario = record(name, target, result, quantileBetween(before, after, 0.95), cpu, counters);
  const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;
  log(
    `${name} @ ${target}: ${scenario.rps.toFixed(0)} req/s, p95 ${scenario.p95.toFixed(1)} ms, errors ${percent(scenario.errorRate)}${
      scenario.hitRate === null ? '' : `, hit rate ${percent(scenario.hitRate)}`
    }${
      scenario.gatewayCpuMsPerRequest === null || scenario.gatewayCpuCores === null
        ? ''
        : `, gateway CPU ${scenario.gatewayCpuMsPerRequest.toFixed(3)} ms/request, ${scenario.gatewayCpuCores.toFixed(2)} cores`
    }${scenario.subgraphRequestsPerOperation === null ? '' : `, ${scenario.subgraphRequestsPerOperation.toFixed(2)} subgraph requests/operation`}${
      scenario.entityHitRate === null ? '' : `, entity hit rate ${percent(scenario.entityHitRate)}`
    }`,
  );
  for (const sample of scenario.errorSamples.slice(0, 2)) log(`  error sample: ${sample}`);
  return scenario;
}

/**
 * The same request stream against several targets, in alternating rounds (the order rotates
 * each round), so drift on a shared machine hits every target alike; medians per target.
 */
async function alternate(
  name: string,
  targets: readonly { label: string; url: string }[],
  make: () => LoadRequest,
  sqlOrigins: readonly string[],
): Promise<{
  rounds: Record<string, ScenarioRecord[]>;
  median: Record<string, Medians>;
}> {
  const rounds: Record<string, ScenarioRecord[]> = Object.fromEntries(targets.map((t) => [t.label, []]));
  for (let round = 0; round < PROFILE.rounds; round += 1) {
    for (const target of roundOrder(targets, round))
      rounds[target.label]?.push(await measure(`${name} (round ${round + 1})`, target.label, target.url, make, sqlOrigins));
  }
  const medians = Object.fromEntries(Object.entries(rounds).map(([label, runs]) => [label, mediansOf(runs)]));
  return { rounds, median: medians };
}

/** Medians over the rounds of one target; null where a round lacks the figure. */
interface Medians {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  cpuMsPerRequest: number | null;
  cpuCores: number | null;
  subgraphRequestsPerOperation: number | null;
  entityHitRate: number | null;
  hitRate: number | null;
}

function mediansOf(runs: readonly ScenarioRecord[]): Medians {
  const of = (key: 'rps' | 'p50' | 'p95' | 'p99' | 'errorRate') => median(runs.map((r) => r[key]));
  const maybe = (pick: (r: ScenarioRecord) => number | null) => {
    const values = runs.map(pick);
    return values.every((v): v is number => v !== null) && values.length > 0 ? median(values) : null;
  };
  return {
    rps: of('rps'),
    p50: of('p50'),
    p95: of('p95'),
    p99: of('p99'),
    errorRate: of('errorRate'),
    cpuMsPerRequest: maybe((r) => r.gatewayCpuMsPerRequest),
    cpuCores: maybe((r) => r.gatewayCpuCores),
    subgraphRequestsPerOperation: maybe((r) => r.subgraphRequestsPerOperation),
    entityHitRate: maybe((r) => r.entityHitRate),
    hitRate: maybe((r) => r.hitRate),
  };
}

async function machineDescription(databaseUrl: string): Promise<Record<string, string | number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ version: string }>('select version()');
  await client.end();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    loadAverageAtStart: loadavg()
      .map((n) => n.toFixed(2))
      .join(' '),
    node: process.version,
    postgres: rows[0]?.version.split(',')[0] ?? 'unknown',
    sharing:
      'the load generator, every service process, PostgreSQL and Redis share these cores (and other engineers’ test runs may too)',
  };
}

function fanoutFigures(result: FanoutResult): Figure[] {
  const triple = (prefix: string, values: readonly number[], target: string | null) => [
    figure(`${prefix} p50`, percentile(values, 50), 'ms'),
    figure(`${prefix} p95`, percentile(values, 95), 'ms', target),
    figure(`${prefix} p99`, percentile(values, 99), 'ms'),
  ];
  return [
    ...triple(
      `messaging: send→receive at ${result.rate} sends/s, ${result.subscribers} subscribers`,
      result.latencies,
      TARGET.deliveryP95,
    ),
    figure(`messaging: deliveries/s with ${result.senders} senders`, result.throughput.deliveriesPerSecond, '1/s'),
    figure(
      'messaging: deliveries lost',
      result.throughput.expectedDeliveries === 0
        ? null
        : 1 - result.throughput.receivedDeliveries / result.throughput.expectedDeliveries,
      'ratio',
      '<= 0',
    ),
    ...(result.capacity === null
      ? []
      : [
          figure('messaging: delivery capacity (events published on Redis)', result.capacity.deliveriesPerSecond, '1/s'),
          ...(result.capacity.cpuSeconds.gateway === undefined
            ? []
            : [
                figure(
                  'messaging: deliveries per gateway CPU-second at capacity',
                  result.capacity.deliveries / Math.max(result.capacity.cpuSeconds.gateway, 1e-9),
                  '1/s',
                  TARGET.deliveriesPerGatewayCore,
                ),
              ]),
          ...triple('messaging: publish→receive at capacity', result.capacity.latencies, null),
        ]),
  ];
}

async function main(): Promise<void> {
  const databaseServer = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseServer || !redisUrl)
    throw new Error('DATABASE_URL and REDIS_URL must be set: the benchmark measures the real services.');
  // Before the minutes of seeding and measuring, so that a failed install stops the bench early.
  if (args['no-peers'] !== true) await ensurePeersInstalled(log);
  const startedAt = new Date().toISOString();
  // Before any process starts: they inherit this process's core (bench/support/cpu-pinning.ts).
  const pinning = setUpPinning(args['no-pin'] !== true);
  log(`CPU pinning: ${pinning.description}`);
  const machine = await machineDescription(databaseServer);
  machine.pinning = pinning.description;
  log(`mode ${MODE}: ${JSON.stringify(PROFILE.counts)}, ${PROFILE.connections} connections, ${PROFILE.seconds} s per run`);
  log(`machine: ${machine.cores} × ${machine.cpu}, load ${machine.loadAverageAtStart}; servers and load generator share it`);

  const database = await prepareBenchDatabase({
    serverUrl: databaseServer,
    name: `chitlaq_bench_${MODE}`,
    counts: PROFILE.counts,
    seed: SEED,
    reseed: args.reseed === true,
  });
  log(
    database.reused
      ? `reusing seeded database ${database.name}`
      : `seeded ${database.name} in ${database.seedSeconds.toFixed(0)} s`,
  );
  const workload = await loadWorkload(database.url, PROFILE.subscribers);
  const random = createRandom(SEED);
  const make = requestMakers(workload, random);

  const peers: Peer[] = [];
  let platform: RunningPlatform | undefined;
  const scenarios: ScenarioRecord[] = [];
  const figures: Figure[] = [];
  const notes: string[] = [
    `Servers (6 gateway/subgraph processes${args['no-peers'] === true ? '' : ' and 3 peer gateways'}), PostgreSQL, Redis and the load generator share this ${machine.cores}-core machine: every figure is a floor for servers with machines of their own.`,
    'Throughput on a shared machine counts the subgraphs, PostgreSQL and the load generator too, which cost every gateway the same; "requests per gateway CPU-second" (from /proc, the gateway process and its children) is what one gateway core would serve on a machine of its own.',
    `HTTP scenarios: closed loop, ${PROFILE.connections} concurrent connections (${MODE === 'full' ? 'the seed’s 500 virtual users of feed_loading' : 'quick mode, a tenth of the seed’s 500'}), no think time, ${PROFILE.seconds} s after a ${PROFILE.warmupSeconds} s warm-up; comparisons in ${PROFILE.rounds} alternating rounds, medians.`,
    `CPU: ${pinning.description}.${pinning.enabled ? ' "Gateway CPU used" is the gateway process tree’s CPU seconds ÷ wall seconds of the run: about 1 core means its core was saturated.' : ''}`,
  ];
  let comparison: Record<string, unknown> = {};
  let fanout: FanoutResult | undefined;
  let searchPlans: TermPlan[] = [];
  let openModel: { plan: OpenScenarioPlan; result: OpenLoadResult }[] = [];
  try {
    log('starting users, posts, messages and the gateways (caches on; caches off; entity cache off) ...');
    // ENTITY_CACHE_ENABLED is the entity cache's switch (a gateway without one ignores it).
    platform = await startPlatformProcesses({
      databaseUrl: database.url,
      redisUrl,
      gatewayEnv: { RESPONSE_CACHE_ENABLED: 'true', ENTITY_CACHE_ENABLED: 'true' },
      pinning,
    });
    const [uncachedUrl, noEntityCacheUrl] = await Promise.all([
      platform.startGateway('gateway-no-cache', { RESPONSE_CACHE_ENABLED: 'false', ENTITY_CACHE_ENABLED: 'false' }),
      platform.startGateway('gateway-no-entity-cache', { RESPONSE_CACHE_ENABLED: 'true', ENTITY_CACHE_ENABLED: 'false' }),
    ]);
    const sqlOrigins = Object.values(platform.subgraphUrls).map((url) => new URL(url).origin);
    const sqlStart: HistogramSnapshot = await snapshotSqlHistogram(sqlOrigins);
    const cachedUrl = platform.gatewayUrl;
    const urlOfGateway: Record<string, string> = {
      gateway: cachedUrl,
      'gateway-no-cache': uncachedUrl,
      'gateway-no-entity-cache': noEntityCacheUrl,
    };
    for (const service of platform.processes) {
      const url = urlOfGateway[service.name];
      if (url === undefined) continue;
      ourGateways.add(url);
      if (service.child.pid !== undefined) gatewayPids.set(url, service.child.pid);
    }

    // 2. The platform's scenarios.
    const cacheOnAndOff = [
      { label: 'gateway (cache on)', url: cachedUrl },
      { label: 'gateway (cache off)', url: uncachedUrl },
    ];
    scenarios.push(await measure('feed', 'gateway', cachedUrl, make.feed, sqlOrigins));
    const publicReads = await alternate('public reads', cacheOnAndOff, make.publicRead, sqlOrigins);
    for (const runs of Object.values(publicReads.rounds)) scenarios.push(...runs);
    const repeated = await alternate('repeated public query', cacheOnAndOff, make.repeatedPublicRead, sqlOrigins);
    for (const runs of Object.values(repeated.rounds)) scenarios.push(...runs);
    scenarios.push(await measure('search', 'gateway', cachedUrl, make.search, sqlOrigins));
    searchPlans = await explainSearch(database.url, await pickPlanTerms(database.url));
    scenarios.push(await measure('sendMessage', 'gateway', cachedUrl, make.sendMessage, sqlOrigins));
    // The feed scenario mix with the entity cache on and off (both with the response cache on).
    // The entity-cache-off gateway has served nothing yet, the other every scenario above: it
    // gets a run of the mix first, unmeasured, so neither side is measured cold.
    log('warming the entity-cache-off gateway with the feed scenario mix (not measured) ...');
    await runLoad({ url: noEntityCacheUrl, connections: PROFILE.connections, seconds: PROFILE.seconds, next: make.mix });
    const mix = await alternate(
      'feed scenario mix',
      [
        { label: 'gateway (entity cache on)', url: cachedUrl },
        { label: 'gateway (entity cache off)', url: noEntityCacheUrl },
      ],
      make.mix,
      sqlOrigins,
    );
    for (const runs of Object.values(mix.rounds)) scenarios.push(...runs);

    // The seed's load model, open: its three k6 scenarios at once, at fixed arrival rates.
    const plans = SEED_SCENARIOS.map((scenario) => planScenario(scenario, PROFILE.modelScale));
    log(
      `seed load model (open, ${PROFILE.modelScale} × the seed's users, ${PROFILE.seconds} s): ${plans
        .map(
          (p) =>
            `${p.name} ${p.users} users, ${p.sessionsPerSecond.toFixed(1)} sessions/s (${p.requestsPerSecond.toFixed(0)} requests/s)`,
        )
        .join('; ')} ...`,
    );
    const openRuns = await Promise.all(
      plans.map((plan) =>
        runOpenLoad({
          url: cachedUrl,
          rate: plan.sessionsPerSecond,
          seconds: PROFILE.seconds,
          maxInFlight: plan.users,
          next: make.sessions[plan.name],
          timeoutMs: OPEN_MODEL_TIMEOUT_MS,
        }),
      ),
    );
    openModel = plans.map((plan, index) => ({ plan, result: openRuns[index] as OpenLoadResult }));
    for (const { plan, result } of openModel) {
      log(
        `seed model ${plan.name}: ${result.requestsPerSecond.toFixed(0)} req/s answered, p95 ${percentile(result.latencies, 95).toFixed(1)} ms, failed or dropped ${(result.errorRate * 100).toFixed(2)} % (${result.errors} errors, ${result.dropped} arrivals dropped)`,
      );
      for (const sample of result.errorSamples.slice(0, 2)) log(`  error sample: ${sample}`);
    }

    // 3. Our gateway against the peers, on the cross-subgraph query.
    const targets = [{ label: 'chitlaq gateway (cache off)', url: uncachedUrl }];
    if (args['no-peers'] !== true) {
      const supergraph = writeSupergraph(platform.subgraphUrls);
      log('starting the peers: Apollo Server + @apollo/gateway, Hive Gateway, Hive Gateway with the Rust query planner ...');
      // The subgraphs answer only requests signed with this secret; the peers sign theirs too.
      const signingSecret = platform.env.SUBGRAPH_SIGNING_SECRET as string;
      const started = await Promise.allSettled([
        startApolloServerPeer(supergraph, signingSecret, pinning.gatewayCpus),
        startHiveGatewayPeer(supergraph, signingSecret, { routerRuntime: false, cpus: pinning.gatewayCpus }),
        startHiveGatewayPeer(supergraph, signingSecret, { routerRuntime: true, cpus: pinning.gatewayCpus }),
      ]);
      // Every peer that did start is stopped in `finally`, even when another failed to.
      for (const outcome of started) if (outcome.status === 'fulfilled') peers.push(outcome.value);
      for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
      for (const peer of peers) {
        targets.push({ label: peer.name, url: peer.url });
        if (peer.process.child.pid !== undefined) gatewayPids.set(peer.url, peer.process.child.pid);
      }
      const probes = Array.from({ length: 5 }, () => make.entity().body);
      await assertPeersAgree(uncachedUrl, peers, probes);
      log('peers answer the cross-subgraph query with our data, no errors');
    }
    const entity = await alternate('cross-subgraph entity query', targets, make.entity, sqlOrigins);
    // Errors under load (not only in the check above) would make the comparison meaningless.
    for (const peer of peers)
      for (const run of entity.rounds[peer.name] ?? [])
        if (run.errorRate > 0.01)
          throw new Error(`${peer.name} answered ${(run.errorRate * 100).toFixed(2)} % errors: ${run.errorSamples.join(' | ')}`);
    for (const runs of Object.values(entity.rounds)) scenarios.push(...runs);
    for (const peer of peers) await peer.process.stop();
    comparison = {
      query:
        'PostsByHashtag(tag, first: 20) { nodes { … author { … followersCount followingCount } } } — posts, then one users _entities fetch',
      medians: entity.median,
      settings: Object.fromEntries([
        [
          'chitlaq gateway (cache off)',
          'gateway/main.ts, NODE_ENV=production, RESPONSE_CACHE_ENABLED=false, ENTITY_CACHE_ENABLED=false, rate limits raised, every edge plugin on (limits, CSRF, APQ, compression — responses not compressed: the load sends no Accept-Encoding)',
        ],
        ...peers.map((peer) => [peer.name, peer.settings]),
      ]),
    };

    // Subscriptions, last: 1000 sockets stay open only for this part.
    log(`subscriptions: ${workload.groups.length * GROUP_SIZE} subscribers in groups of ${GROUP_SIZE} ...`);
    fanout = await runFanout({
      gatewayUrl: cachedUrl,
      redisUrl,
      groups: workload.groups,
      tokenOf: workload.tokenOf,
      subscription: operation('MessageAdded'),
      sendMutation: operation('SendMessage'),
      seconds: PROFILE.fanoutSeconds,
      rate: 50,
      senders: 16,
      log,
      processes: platform.processes
        .filter((service) => service.name === 'gateway' || !service.name.startsWith('gateway'))
        .map((service) => ({ name: service.name, pid: service.child.pid })),
    });
    const sqlEnd = await snapshotSqlHistogram(sqlOrigins);

    // Figures.
    const http = (label: string, s: ScenarioRecord) => [
      figure(`${label}: requests/s`, s.rps, '1/s'),
      figure(`${label}: p50`, s.p50, 'ms'),
      figure(`${label}: p95`, s.p95, 'ms', TARGET.httpP95),
      figure(`${label}: p99`, s.p99, 'ms'),
      figure(`${label}: error rate`, s.errorRate, 'ratio', '<= 0.01'),
    ];
    const byName = (name: string) => scenarios.find((s) => s.name === name) as ScenarioRecord;
    figures.push(...http('feed (signed in, private)', byName('feed')));
    const cachedRuns = publicReads.rounds['gateway (cache on)'] ?? [];
    const uncachedRuns = publicReads.rounds['gateway (cache off)'] ?? [];
    const httpMedians = (label: string, m: Medians) => [
      figure(`${label}: requests/s (median)`, m.rps, '1/s'),
      figure(`${label}: p50 (median)`, m.p50, 'ms'),
      figure(`${label}: p95 (median)`, m.p95, 'ms', TARGET.httpP95),
      figure(`${label}: p99 (median)`, m.p99, 'ms'),
      figure(`${label}: error rate (median)`, m.errorRate, 'ratio', '<= 0.01'),
    ];
    const publicOn = publicReads.median['gateway (cache on)'] as Medians;
    const publicOff = publicReads.median['gateway (cache off)'] as Medians;
    figures.push(...httpMedians('public reads, cache on', publicOn), ...httpMedians('public reads, cache off', publicOff));
    figures.push(
      figure('public reads: hit rate, cache on', publicOn.hitRate, 'ratio'),
      figure('public reads: cached ÷ uncached throughput', publicOn.rps / publicOff.rps, '×'),
    );
    const repeatedOn = repeated.median['gateway (cache on)'] as Medians;
    const repeatedOff = repeated.median['gateway (cache off)'] as Medians;
    figures.push(
      figure('repeated public query, cache on: requests/s (median)', repeatedOn.rps, '1/s'),
      figure('repeated public query, cache on: p95 (median)', repeatedOn.p95, 'ms', TARGET.httpP95),
      figure('repeated public query, cache off: requests/s (median)', repeatedOff.rps, '1/s'),
      figure('repeated public query, cache off: p95 (median)', repeatedOff.p95, 'ms', TARGET.httpP95),
      figure('repeated public query: cached ÷ uncached throughput', repeatedOn.rps / repeatedOff.rps, '×', TARGET.cacheSpeedup),
    );
    figures.push(...http('search (signed in)', byName('search')), ...searchPlanFigures(searchPlans));
    notes.push(...describePlans(searchPlans).map((line) => `Search plan (EXPLAIN ANALYZE, warm): ${line}`));
    figures.push(...http('sendMessage', byName('sendMessage')));
    const mixOn = mix.median['gateway (entity cache on)'] as Medians;
    const mixOff = mix.median['gateway (entity cache off)'] as Medians;
    figures.push(
      ...httpMedians('feed scenario mix, entity cache on', mixOn),
      figure('feed scenario mix: cache hit rate', mixOn.hitRate, 'ratio', TARGET.hitRate),
      figure('feed scenario mix: entity cache hit rate (gateway /metrics)', mixOn.entityHitRate, 'ratio'),
      figure('feed scenario mix, entity cache on: subgraph requests per operation', mixOn.subgraphRequestsPerOperation, '1'),
      figure('feed scenario mix, entity cache off: requests/s (median)', mixOff.rps, '1/s'),
      figure('feed scenario mix, entity cache off: p95 (median)', mixOff.p95, 'ms', TARGET.httpP95),
      figure('feed scenario mix, entity cache off: subgraph requests per operation', mixOff.subgraphRequestsPerOperation, '1'),
      figure('feed scenario mix: throughput, entity cache on ÷ off', mixOn.rps / mixOff.rps, '×', '>= 2'),
    );
    if (mixOn.entityHitRate === null)
      notes.push(
        'Entity cache: the gateway exposes no gateway_entity_cache_lookups_total (no entity cache in this build), so its hit rate is n/a and the on ÷ off rows compare two identical gateways.',
      );

    // The seed's load model (open): p95 per scenario against the seed's 150 ms.
    for (const { plan, result } of openModel) {
      const label = `seed model (open) ${plan.name}, ${plan.users} users`;
      figures.push(
        figure(`${label}: offered requests/s`, plan.requestsPerSecond, '1/s'),
        figure(`${label}: answered requests/s`, result.requestsPerSecond, '1/s'),
        figure(`${label}: p95`, percentile(result.latencies, 95), 'ms', TARGET.httpP95),
        figure(`${label}: p99`, percentile(result.latencies, 99), 'ms'),
        figure(`${label}: failed or dropped`, result.errorRate, 'ratio', '<= 0.01'),
        ...Object.entries(result.latenciesByLabel).map(([operationName, latencies]) =>
          figure(`${label}: ${operationName} p95`, percentile(latencies, 95), 'ms'),
        ),
      );
    }
    notes.push(
      `Seed load model (open): the seed's k6 scenarios at once at ${PROFILE.modelScale} × its users (feed_loading 500, user_registration 100, messaging 1000 of which 10 % send every 5 s), sessions (k6 iterations) starting at users ÷ (1 s think time + requests × 50 ms, the seed's p50 baseline) per second whatever the answers; a session's first request timed from its due time; arrivals beyond the users in progress dropped and counted as failures; answers later than ${OPEN_MODEL_TIMEOUT_MS / 1000} s fail. Login and Register hash argon2id passwords by design. Messaging sends only (its subscribers are the fan-out part's).`,
    );

    const ours = entity.median['chitlaq gateway (cache off)'] as Medians;
    figures.push(
      figure('cross-subgraph: chitlaq gateway requests/s (median)', ours.rps, '1/s'),
      figure('cross-subgraph: chitlaq gateway p95 (median)', ours.p95, 'ms', TARGET.httpP95),
      figure('cross-subgraph: chitlaq gateway CPU per request (median)', ours.cpuMsPerRequest, 'ms'),
      figure('cross-subgraph: chitlaq gateway CPU used (median)', ours.cpuCores, 'cores'),
    );
    const peerTargets: Record<string, string> = {
      'apollo-server': '>= 2',
      'hive-gateway': '>= 1.5',
      'hive-gateway-rust-planner': '> 1',
    };
    for (const peer of peers) {
      const theirs = entity.median[peer.name] as Medians;
      figures.push(
        figure(`cross-subgraph: ${peer.name} requests/s (median)`, theirs.rps, '1/s'),
        figure(`cross-subgraph: ${peer.name} p95 (median)`, theirs.p95, 'ms'),
        figure(`cross-subgraph: ${peer.name} CPU per request (median)`, theirs.cpuMsPerRequest, 'ms'),
        figure(`cross-subgraph: ${peer.name} CPU used (median)`, theirs.cpuCores, 'cores'),
        figure(`cross-subgraph: our throughput ÷ ${peer.name}`, ours.rps / theirs.rps, '×', peerTargets[peer.name] ?? null),
        figure(
          `cross-subgraph: requests per gateway CPU-second, ours ÷ ${peer.name}`,
          ours.cpuMsPerRequest === null || theirs.cpuMsPerRequest === null ? null : theirs.cpuMsPerRequest / ours.cpuMsPerRequest,
          '×',
          peerTargets[peer.name] ?? null,
        ),
        figure(`cross-subgraph: our p95 − ${peer.name} p95`, ours.p95 - theirs.p95, 'ms', '<= 0'),
      );
    }
    figures.push(...fanoutFigures(fanout));
    const sqlP95 = quantileBetween(sqlStart, sqlEnd, 0.95);
    figures.push(figure('SQL statements p95, whole run (platform metrics)', sqlP95, 'ms', TARGET.sqlP95));
    if (sqlEnd.name === null)
      notes.push('SQL p95: no subgraph /metrics exposes a SQL duration histogram yet, so it is reported as n/a.');
    else
      notes.push(`SQL p95 from the subgraphs' /metrics histogram ${sqlEnd.name} (bucket-interpolated, like histogram_quantile).`);

    // What the response cache did, as seen from the X-Cache headers.
    const uncachedHits = uncachedRuns.some((r) => (r.hitRate ?? 0) > 0);
    if (cachedRuns.every((r) => r.hitRate === null))
      notes.push(
        'No response carried X-Cache: the gateway has no response cache yet (cached and uncached runs measure the same thing).',
      );
    if (uncachedHits) notes.push('RESPONSE_CACHE_ENABLED=false was not honoured: the "cache off" gateway answered X-Cache: HIT.');
  } finally {
    for (const peer of peers) await peer.process.stop();
    await platform?.stop();
  }

  const sources = Object.entries(operationSources);
  notes.push(
    sources.every(([, source]) => source === 'bench fallback')
      ? 'Operations: the bench’s own documents (bench/support/operations.ts); clients/generated/persisted-documents.json not found.'
      : `Operations: ${sources.map(([name, source]) => `${name} from ${source}`).join(', ')}.`,
  );
  const charts: BenchReport['charts'] = [
    {
      title: 'Latency by percentile, platform scenarios',
      series: scenarios
        .filter((s) => !s.name.includes('round') || s.name.endsWith('(round 1)'))
        .filter((s) => !s.name.startsWith('cross-subgraph'))
        .map((s): LatencySeries => ({ label: `${s.name.replace(' (round 1)', '')} ${s.target}`, points: s.curve })),
    },
    {
      title: 'Latency by percentile, cross-subgraph query, round 1',
      series: scenarios
        .filter((s) => s.name === 'cross-subgraph entity query (round 1)')
        .map((s): LatencySeries => ({ label: s.target, points: s.curve })),
    },
  ];
  if (openModel.length > 0)
    charts.push({
      title: `Latency by percentile, the seed's load model (open), ${PROFILE.modelScale} × its users`,
      series: openModel.map(({ plan, result }) => ({ label: plan.name, points: latencyCurve(result.latencies) })),
    });
  if (fanout !== undefined) {
    charts.push({
      title: `Send→receive latency, ${fanout.subscribers} subscribers`,
      series: [
        { label: `${fanout.rate} sends/s`, points: latencyCurve(fanout.latencies) },
        ...(fanout.capacity === null ? [] : [{ label: 'capacity (Redis)', points: latencyCurve(fanout.capacity.latencies) }]),
      ],
    });
  }
  const report: BenchReport = {
    startedAt,
    mode: MODE,
    wallClockSeconds: (performance.now() - T0) / 1000,
    machine,
    notes,
    profile: PROFILE,
    database: { name: database.name, reused: database.reused, seedSeconds: database.seedSeconds },
    figures,
    scenarios: scenarios.map(({ curve: _curve, ...rest }) => rest),
    comparison,
    seedModel: openModel.map(({ plan, result }) => ({
      ...plan,
      seconds: result.seconds,
      requests: result.requests,
      answeredRequestsPerSecond: result.requestsPerSecond,
      ...latencySummary(result.latencies),
      byOperation: Object.fromEntries(
        Object.entries(result.latenciesByLabel).map(([name, latencies]) => [
          name,
          { count: latencies.length, ...latencySummary(latencies) },
        ]),
      ),
      errors: result.errors,
      dropped: result.dropped,
      errorRate: result.errorRate,
      errorSamples: result.errorSamples,
    })),
    fanout:
      fanout === undefined
        ? null
        : {
            subscribers: fanout.subscribers,
            groups: fanout.groups,
            rate: fanout.rate,
            senders: fanout.senders,
            latency: latencySummary(fanout.latencies),
            sendRoundTrip: latencySummary(fanout.latencySendTimes),
            throughput: { ...fanout.throughput, sendTimes: latencySummary(fanout.throughput.sendTimes) },
            capacity:
              fanout.capacity === null ? null : { ...fanout.capacity, latencies: latencySummary(fanout.capacity.latencies) },
          },
    charts,
    searchPlans,
  };
  const paths = writeReport(new URL('./results/', import.meta.url).pathname, report);
  printSummary(report);
  console.log(`\nwrote ${paths.json} and ${paths.html} (${report.wallClockSeconds.toFixed(0)} s wall clock)`);
}

await main();
