/**
 * `npm run bench` (full) and `npm run bench -- --quick` (a tenth of the data, short runs, under
 * three minutes): the platform's performance on this machine, with real PostgreSQL
 * (DATABASE_URL, a server where the bench may create its own database) and Redis (REDIS_URL).
 *
 *   1. seeds the bench's own database (chitlaq_bench_<mode>; reused when its marker matches);
 *   2. starts users, posts, messages and two gateways as separate processes (one with the
 *      response cache, one with RESPONSE_CACHE_ENABLED=false), and runs the scenarios with a
 *      closed-loop undici load generator in this process: feed, public reads cached vs uncached
 *      (alternating), search (and EXPLAIN of its statements, bench/search-plan.ts), a
 *      cross-subgraph entity query, sendMessage, the feed scenario mix (hit rate), and
 *      subscriptions (bench/support/fanout.ts);
 *   3. runs the cross-subgraph query through our gateway (no cache) and two peers on the same
 *      subgraph processes, Apollo Server + @apollo/gateway and Hive Gateway, alternating rounds
 *      (the bench/peers package; the first run installs it, `npm ci --prefix bench/peers`);
 *   4. writes bench/results/<timestamp>.json (a `figures` list) and bench/results/latest.html,
 *      and prints each figure next to its target.
 *
 * Options: --quick, --reseed (seed again even if the marker matches), --no-peers, --connections N,
 * --seconds N, --rounds N, --subscribers N.
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createTokenService } from '../lib/kernel/tokens.js';
import type { SeedCounts } from '../scripts/seed/index.js';
import { createRandom, createZipfSampler, type Random, type ZipfSampler } from '../scripts/seed/random.js';
import { describePlans, explainSearch, pickPlanTerms, searchPlanFigures, type TermPlan } from './search-plan.js';
import { prepareBenchDatabase } from './support/bench-database.js';
import { type FanoutResult, runFanout } from './support/fanout.js';
import { type BenchGroup, createGroups } from './support/groups.js';
import { type LoadRequest, type LoadResult, latencyCurve, latencySummary, runLoad } from './support/load.js';
import { type OperationName, operation, operationSources } from './support/operations.js';
import { ensurePeersInstalled } from './support/peer-install.js';
import { assertPeersAgree, type Peer, startApolloServerPeer, startHiveGatewayPeer, writeSupergraph } from './support/peers.js';
import { cpuSecondsOfTree } from './support/process-cpu.js';
import { type BenchReport, type Figure, figure, type LatencySeries, printSummary, writeReport } from './support/report.js';
import { sampleSearchTerms } from './support/search-terms.js';
import { BENCH_SEED, BENCH_SEED_COUNTS } from './support/seed-counts.js';
import { BENCH_JWT_SECRET, type RunningPlatform, startPlatformProcesses } from './support/services.js';
import { type HistogramSnapshot, quantileBetween, snapshotSqlHistogram } from './support/sql-metrics.js';
import { median, percentile } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reseed: { type: 'boolean', default: false },
    'no-peers': { type: 'boolean', default: false },
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
  },
  quick: {
    counts: BENCH_SEED_COUNTS.quick,
    connections: 50,
    seconds: 4,
    warmupSeconds: 1,
    rounds: 2,
    subscribers: 200,
    fanoutSeconds: 4,
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
    return { feedViewers, usernames, postIds, tags, searchTerms, senders, tokenOf, groups };
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
  return makers;
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
  [key: string]: unknown;
}

function record(
  name: string,
  target: string,
  result: LoadResult,
  sqlP95: number | null,
  gatewayCpuSeconds: number | null,
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
  };
}

/** The process id serving each gateway URL, so its CPU time can be read around a run. */
const gatewayPids = new Map<string, number>();

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
  const cpuBefore = pid === undefined ? null : cpuSecondsOfTree(pid);
  const result = await runLoad({ url, connections: PROFILE.connections, seconds: PROFILE.seconds, next: make });
  const cpuAfter = pid === undefined ? null : cpuSecondsOfTree(pid);
  const after = await snapshotSqlHistogram(sqlOrigins);
  const cpu = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  const scenario = record(name, target, result, quantileBetween(before, after, 0.95), cpu);
  log(
    `${name} @ ${target}: ${scenario.rps.toFixed(0)} req/s, p95 ${scenario.p95.toFixed(1)} ms, errors ${(scenario.errorRate * 100).toFixed(2)} %${
      scenario.hitRate === null ? '' : `, hit rate ${(scenario.hitRate * 100).toFixed(1)} %`
    }${scenario.gatewayCpuMsPerRequest === null ? '' : `, gateway CPU ${scenario.gatewayCpuMsPerRequest.toFixed(3)} ms/request`}`,
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
  median: Record<string, { rps: number; p95: number; cpuMsPerRequest: number | null }>;
}> {
  const rounds: Record<string, ScenarioRecord[]> = Object.fromEntries(targets.map((t) => [t.label, []]));
  for (let round = 0; round < PROFILE.rounds; round += 1) {
    for (let i = 0; i < targets.length; i += 1) {
      const target = targets[(i + round) % targets.length] as { label: string; url: string };
      rounds[target.label]?.push(await measure(`${name} (round ${round + 1})`, target.label, target.url, make, sqlOrigins));
    }
  }
  const medians = Object.fromEntries(
    Object.entries(rounds).map(([label, runs]) => [
      label,
      {
        rps: median(runs.map((r) => r.rps)),
        p95: median(runs.map((r) => r.p95)),
        cpuMsPerRequest: runs.every((r) => r.gatewayCpuMsPerRequest !== null)
          ? median(runs.map((r) => r.gatewayCpuMsPerRequest as number))
          : null,
      },
    ]),
  );
  return { rounds, median: medians };
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
  const machine = await machineDescription(databaseServer);
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
    `Servers (4 gateway/subgraph processes${args['no-peers'] === true ? '' : ' and 2 peer gateways'}), PostgreSQL, Redis and the load generator share this ${machine.cores}-core machine: every figure is a floor for servers with machines of their own.`,
    'Throughput on a shared machine counts the subgraphs, PostgreSQL and the load generator too, which cost every gateway the same; "requests per gateway CPU-second" (from /proc, the gateway process and its children) is what one gateway core would serve on a machine of its own.',
    `HTTP scenarios: closed loop, ${PROFILE.connections} concurrent connections (${MODE === 'full' ? 'the seed’s 500 virtual users of feed_loading' : 'quick mode, a tenth of the seed’s 500'}), no think time, ${PROFILE.seconds} s after a ${PROFILE.warmupSeconds} s warm-up; comparisons in ${PROFILE.rounds} alternating rounds, medians.`,
  ];
  let comparison: Record<string, unknown> = {};
  let fanout: FanoutResult | undefined;
  let searchPlans: TermPlan[] = [];
  try {
    log('starting users, posts, messages and the gateway (response cache on) ...');
    platform = await startPlatformProcesses({
      databaseUrl: database.url,
      redisUrl,
      gatewayEnv: { RESPONSE_CACHE_ENABLED: 'true' },
    });
    const uncachedUrl = await platform.startGateway('gateway-no-cache', { RESPONSE_CACHE_ENABLED: 'false' });
    const sqlOrigins = Object.values(platform.subgraphUrls).map((url) => new URL(url).origin);
    const sqlStart: HistogramSnapshot = await snapshotSqlHistogram(sqlOrigins);
    const cachedUrl = platform.gatewayUrl;
    const [cachedGateway, uncachedGateway] = platform.processes.filter((p) => p.name.startsWith('gateway'));
    if (cachedGateway?.child.pid !== undefined) gatewayPids.set(cachedUrl, cachedGateway.child.pid);
    if (uncachedGateway?.child.pid !== undefined) gatewayPids.set(uncachedUrl, uncachedGateway.child.pid);

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
    const mix = await measure('feed scenario mix', 'gateway', cachedUrl, make.mix, sqlOrigins);
    scenarios.push(mix);

    // 3. Our gateway against the peers, on the cross-subgraph query.
    const targets = [{ label: 'chitlaq gateway (cache off)', url: uncachedUrl }];
    if (args['no-peers'] !== true) {
      const supergraph = writeSupergraph(platform.subgraphUrls);
      log('starting the peers: Apollo Server + @apollo/gateway, Hive Gateway ...');
      // The subgraphs answer only requests signed with this secret; the peers sign theirs too.
      const signingSecret = platform.env.SUBGRAPH_SIGNING_SECRET as string;
      peers.push(await startApolloServerPeer(supergraph, signingSecret));
      peers.push(await startHiveGatewayPeer(supergraph, signingSecret));
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
          'gateway/main.ts, NODE_ENV=production, RESPONSE_CACHE_ENABLED=false, rate limits raised, every edge plugin on (limits, CSRF, APQ, compression — responses not compressed: the load sends no Accept-Encoding)',
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
        .filter((service) => service.name !== 'gateway-no-cache')
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
    const medianOf = (runs: ScenarioRecord[], key: 'rps' | 'p50' | 'p95' | 'p99' | 'errorRate') =>
      median(runs.map((r) => r[key]));
    for (const [label, runs] of [
      ['public reads, cache on', cachedRuns],
      ['public reads, cache off', uncachedRuns],
    ] as const) {
      figures.push(
        figure(`${label}: requests/s (median)`, medianOf(runs, 'rps'), '1/s'),
        figure(`${label}: p50 (median)`, medianOf(runs, 'p50'), 'ms'),
        figure(`${label}: p95 (median)`, medianOf(runs, 'p95'), 'ms', TARGET.httpP95),
        figure(`${label}: p99 (median)`, medianOf(runs, 'p99'), 'ms'),
        figure(`${label}: error rate (median)`, medianOf(runs, 'errorRate'), 'ratio', '<= 0.01'),
      );
    }
    const hits = cachedRuns.map((r) => r.hitRate).filter((rate): rate is number => rate !== null);
    figures.push(
      figure('public reads: hit rate, cache on', hits.length === 0 ? null : median(hits), 'ratio'),
      figure('public reads: cached ÷ uncached throughput', medianOf(cachedRuns, 'rps') / medianOf(uncachedRuns, 'rps'), '×'),
    );
    const repeatedOn = repeated.median['gateway (cache on)'] as { rps: number; p95: number };
    const repeatedOff = repeated.median['gateway (cache off)'] as { rps: number; p95: number };
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
    figures.push(
      ...http('feed scenario mix', mix),
      figure('feed scenario mix: cache hit rate', mix.hitRate, 'ratio', TARGET.hitRate),
    );

    const ours = entity.median['chitlaq gateway (cache off)'] as { rps: number; p95: number; cpuMsPerRequest: number | null };
    figures.push(
      figure('cross-subgraph: chitlaq gateway requests/s (median)', ours.rps, '1/s'),
      figure('cross-subgraph: chitlaq gateway p95 (median)', ours.p95, 'ms', TARGET.httpP95),
      figure('cross-subgraph: chitlaq gateway CPU per request (median)', ours.cpuMsPerRequest, 'ms'),
    );
    const peerTargets: Record<string, string> = { 'apollo-server': '>= 2', 'hive-gateway': '> 1' };
    for (const peer of peers) {
      const theirs = entity.median[peer.name] as { rps: number; p95: number; cpuMsPerRequest: number | null };
      figures.push(
        figure(`cross-subgraph: ${peer.name} requests/s (median)`, theirs.rps, '1/s'),
        figure(`cross-subgraph: ${peer.name} p95 (median)`, theirs.p95, 'ms'),
        figure(`cross-subgraph: ${peer.name} CPU per request (median)`, theirs.cpuMsPerRequest, 'ms'),
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
