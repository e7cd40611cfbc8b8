/**
 * `npm run bench:search`: `searchPosts` alone, on the bench's full data set (500k posts; `--quick`:
 * 50k), through the gateway, on real PostgreSQL and Redis, for one checkout or several side by
 * side (`BENCH_SERVICE_ROOT=<old checkout>,<new checkout>`, alternating rounds, medians).
 *
 * Each round starts users, posts, messages and a gateway from one checkout on that checkout's
 * copy of the seeded database, warms up, then measures:
 *   - closed loop: `--connections` (500, the seed's feed_loading VUs) sending `SearchPosts(query,
 *     first: 20)` back to back, signed in, terms drawn as `npm run bench` draws them;
 *   - open model: `--rate` searches/s arriving whatever the answers (default: the search share
 *     of the seed's feed_loading: 500 VUs, one SearchPosts per iteration of 7 requests and 1 s of
 *     think time at the seed's 50 ms p50, 500 / 1.35 s ≈ 370/s), at most 500 in flight.
 * for each of two documents: the apps' SearchPosts (clients/generated/persisted-documents.json:
 * its PostCard selects `likedByViewer`, so every answer is completed per viewer, one posts request
 * per search even on a cache hit: gateway/README.md, "Response cache") and a public search
 * selecting nothing viewer-dependent (bench/support/operations.ts's fallback), and EXPLAINs each
 * checkout's search statements (bench/search-plan.ts).
 *
 * Options: --quick, --reseed, --connections N, --rate N, --seconds N, --rounds N.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Kysely, type Migration, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createScratchDatabase } from '../lib/infra/db/scratch-database.js';
import { createTokenService } from '../lib/kernel/tokens.js';
import { createRandom, createZipfSampler } from '../scripts/seed/random.js';
import { migrations as messagesMigrations } from '../subgraphs/messages/db/migrations/index.js';
import { migrations as postsMigrations } from '../subgraphs/posts/db/migrations/index.js';
import { migrations as usersMigrations } from '../subgraphs/users/db/migrations/index.js';
import { describePlans, explainSearch, pickPlanTerms, type TermPlan } from './search-plan.js';
import { prepareBenchDatabase } from './support/bench-database.js';
import { type LoadRequest, latencySummary, runLoad } from './support/load.js';
import { runOpenLoad } from './support/open-load.js';
import { fallbackOperation, operation } from './support/operations.js';
import { sampleSearchTerms } from './support/search-terms.js';
import { BENCH_SEED, BENCH_SEED_COUNTS } from './support/seed-counts.js';
import { BENCH_JWT_SECRET, startPlatformProcesses } from './support/services.js';
import { median, printTable } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reseed: { type: 'boolean', default: false },
    connections: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});

const MODE = args.quick ? 'quick' : 'full';
/** The seed's feed_loading: VUs, requests per iteration (one of them SearchPosts), think time, p50 goal. */
const SEED_LOAD = { vus: 500, requestsPerIteration: 7, thinkSeconds: 1, p50Seconds: 0.05 };
const seedSearchRate = SEED_LOAD.vus / (SEED_LOAD.thinkSeconds + SEED_LOAD.requestsPerIteration * SEED_LOAD.p50Seconds);
const SCALE = MODE === 'quick' ? 0.1 : 1;
const CONNECTIONS = Number(args.connections ?? SEED_LOAD.vus * SCALE);
const RATE = Number(args.rate ?? Math.round(seedSearchRate * SCALE));
const SECONDS = Number(args.seconds ?? (MODE === 'quick' ? 5 : 20));
const WARMUP_SECONDS = MODE === 'quick' ? 2 : 5;
const ROUNDS = Number(args.rounds);
const ROOTS = (process.env.BENCH_SERVICE_ROOT ?? process.cwd()).split(',').map((root) => resolve(root));
const SCHEMAS = [
  ['users', usersMigrations],
  ['posts', postsMigrations],
  ['messages', messagesMigrations],
] as const;

const T0 = performance.now();
const log = (line: string) => console.log(`[search ${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${line}`);

/** The documents measured, by what the report calls them. */
const DOCUMENTS = [
  ['SearchPosts (apps, likedByViewer)', operation('SearchPosts')],
  ['public search (no viewer field)', fallbackOperation('SearchPosts')],
] as const;

interface Run {
  readonly root: string;
  readonly document: string;
  readonly round: number;
  readonly closed: { rps: number; p50: number; p95: number; p99: number; errorRate: number };
  readonly open: { rate: number; rps: number; p50: number; p95: number; p99: number; errorRate: number; dropped: number };
}

/**
 * Brings `url` (a copy of a database this harness migrated) back to the migrations `root` knows,
 * undoing newer ones with this checkout's `down`s, so an older checkout's services start on it;
 * a newer checkout's services migrate it forward themselves.
 */
async function migrateForRoot(url: string, root: string): Promise<void> {
  const db = new Kysely<object>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    for (const [schema, ours] of SCHEMAS) {
      const file = pathToFileURL(resolve(root, `subgraphs/${schema}/db/migrations/index.ts`)).href;
      const theirs = ((await import(file)) as { migrations: Record<string, Migration> }).migrations;
      const known = Object.keys(theirs).sort();
      const last = known.at(-1);
      const executed = Object.keys(ours).filter((name) => !(name in theirs));
      if (last === undefined || executed.length === 0) continue;
      const migrator = new Migrator({ db, migrationTableSchema: schema, provider: { getMigrations: async () => ours } });
      const { error } = await migrator.migrateTo(last);
      if (error !== undefined) throw new Error(`migrating ${schema} down to ${last} for ${root} failed: ${String(error)}`);
      // Statistics for what the downs rebuilt (a column the planner would otherwise know nothing about).
      await sql`analyze`.execute(db);
      log(`${root}: ${schema} migrated down to ${last} (undid ${executed.join(', ')})`);
    }
  } finally {
    await db.destroy();
  }
}

async function requestMaker(url: string): Promise<(document: string) => () => LoadRequest> {
  const db = new Kysely<object>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    const terms = await sampleSearchTerms(db);
    const { rows } = await sql<{ id: string }>`select id from users.users order by id limit 500`.execute(db);
    const tokens = createTokenService({
      key: { algorithm: 'HS256', secret: BENCH_JWT_SECRET, source: 'env' },
      issuer: 'chitlaq',
      audience: 'chitlaq-graph',
      ttlSeconds: 24 * 3600,
    });
    const headers = await Promise.all(rows.map(async (row) => ({ authorization: `Bearer ${await tokens.sign(row.id)}` })));
    const random = createRandom(BENCH_SEED);
    const zipf = createZipfSampler(terms.length, 0.8);
    return (document) => () => ({
      body: JSON.stringify({
        query: document,
        operationName: 'SearchPosts',
        variables: { query: terms[zipf.sample(random)], first: 20 },
      }),
      headers: random.pick(headers),
    });
  } finally {
    await db.destroy();
  }
}

async function measureRound(
  root: string,
  round: number,
  databaseUrl: string,
  redisUrl: string,
  nextFor: (document: string) => () => LoadRequest,
): Promise<Run[]> {
  const platform = await startPlatformProcesses({ databaseUrl, redisUrl, env: { BENCH_SERVICE_ROOT: root } });
  try {
    const runs: Run[] = [];
    for (const [name, text] of DOCUMENTS) runs.push(await measureDocument(platform.gatewayUrl, root, round, name, nextFor(text)));
    return runs;
  } finally {
    await platform.stop();
  }
}

async function measureDocument(
  gatewayUrl: string,
  root: string,
  round: number,
  document: string,
  next: () => LoadRequest,
): Promise<Run> {
  await runLoad({ url: gatewayUrl, connections: CONNECTIONS, seconds: WARMUP_SECONDS, next });
  const closed = await runLoad({ url: gatewayUrl, connections: CONNECTIONS, seconds: SECONDS, next });
  const open = await runOpenLoad({ url: gatewayUrl, rate: RATE, seconds: SECONDS, maxInFlight: CONNECTIONS, next });
  const run: Run = {
    root,
    document,
    round,
    closed: { rps: closed.requestsPerSecond, ...latencySummary(closed.latencies), errorRate: closed.errorRate },
    open: {
      rate: RATE,
      rps: open.requestsPerSecond,
      ...latencySummary(open.latencies),
      errorRate: open.errorRate,
      dropped: open.dropped,
    },
  };
  log(
    `round ${round} ${root}, ${document}: closed ${run.closed.rps.toFixed(0)} req/s p95 ${run.closed.p95.toFixed(0)} ms; open ${RATE}/s: p95 ${run.open.p95.toFixed(0)} ms, ${run.open.dropped} dropped, errors ${(run.open.errorRate * 100).toFixed(1)} %`,
  );
  for (const sample of [...closed.errorSamples, ...open.errorSamples].slice(0, 2)) log(`  error sample: ${sample}`);
  return run;
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!serverUrl || !redisUrl)
    throw new Error('DATABASE_URL and REDIS_URL must be set: this benchmark measures the real services.');
  const startedAt = new Date().toISOString();
  // A database of its own (not npm run bench's), so the two never copy or reseed under each other.
  const base = await prepareBenchDatabase({
    serverUrl,
    name: `chitlaq_bench_search_${MODE}`,
    counts: BENCH_SEED_COUNTS[MODE],
    seed: BENCH_SEED,
    reseed: args.reseed === true,
  });
  log(base.reused ? `reusing ${base.name}` : `seeded ${base.name} in ${base.seedSeconds.toFixed(0)} s`);
  const next = await requestMaker(base.url);
  const planTerms = await pickPlanTerms(base.url);
  const copies = [];
  try {
    for (const root of ROOTS) {
      const copy = await createScratchDatabase(serverUrl, { template: base.name });
      copies.push(copy);
      await migrateForRoot(copy.url, root);
    }
    log(
      `${ROOTS.length} checkout(s), ${ROUNDS} rounds: closed loop ${CONNECTIONS} connections, open model ${RATE} searches/s, ${SECONDS} s each`,
    );
    const runs: Run[] = [];
    const plans = new Map<string, TermPlan[]>();
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (let i = 0; i < ROOTS.length; i += 1) {
        const index = (i + round - 1) % ROOTS.length;
        const root = ROOTS[index] as string;
        const url = copies[index]?.url as string;
        runs.push(...(await measureRound(root, round, url, redisUrl, next)));
        // After the services migrated the copy: the plans of the statements this checkout runs.
        if (!plans.has(root)) plans.set(root, await explainSearch(url, planTerms, root));
      }
    }
    const medians = ROOTS.flatMap((root) => DOCUMENTS.map(([document]) => ({ root, document }))).map(({ root, document }) => {
      const mine = runs.filter((run) => run.root === root && run.document === document);
      const of = (pick: (run: Run) => number) => median(mine.map(pick));
      return {
        root,
        document,
        closed: {
          rps: of((r) => r.closed.rps),
          p50: of((r) => r.closed.p50),
          p95: of((r) => r.closed.p95),
          p99: of((r) => r.closed.p99),
        },
        open: {
          p50: of((r) => r.open.p50),
          p95: of((r) => r.open.p95),
          p99: of((r) => r.open.p99),
          dropped: of((r) => r.open.dropped),
        },
        errorRate: Math.max(...mine.map((r) => Math.max(r.closed.errorRate, r.open.errorRate))),
      };
    });
    console.log(`\nsearchPosts, ${MODE} data set (${BENCH_SEED_COUNTS[MODE].posts} posts), medians of ${ROUNDS} rounds`);
    console.log(
      'The machine is shared (servers, PostgreSQL, Redis and this load generator on the same cores): compare ratios.\n',
    );
    printTable(
      [
        'checkout',
        'document',
        'closed req/s',
        'closed p50',
        'closed p95',
        'closed p99',
        `open ${RATE}/s p50`,
        'p95',
        'p99',
        'dropped',
        'max error rate',
      ],
      medians.map((m) => [
        m.root,
        m.document,
        m.closed.rps.toFixed(0),
        m.closed.p50.toFixed(0),
        m.closed.p95.toFixed(0),
        m.closed.p99.toFixed(0),
        m.open.p50.toFixed(0),
        m.open.p95.toFixed(0),
        m.open.p99.toFixed(0),
        m.open.dropped.toFixed(0),
        `${(m.errorRate * 100).toFixed(2)} %`,
      ]),
    );
    for (const [document] of DOCUMENTS) {
      const mine = medians.filter((m) => m.document === document);
      const [first, last] = [mine[0], mine.at(-1)];
      if (first === undefined || last === undefined || first === last) continue;
      console.log(
        `\n${document}, ${last.root} ÷ ${first.root}: closed-loop throughput ${(last.closed.rps / first.closed.rps).toFixed(2)}×, closed p95 ${(first.closed.p95 / last.closed.p95).toFixed(2)}× lower, open-model p95 ${(first.open.p95 / last.open.p95).toFixed(2)}× lower`,
      );
    }
    for (const [root, termPlans] of plans) {
      console.log(`\nplans of ${root}:`);
      for (const line of describePlans(termPlans)) console.log(`  ${line}`);
    }
    const file = new URL(`./results/search-${startedAt.replace(/[:.]/g, '-')}.json`, import.meta.url).pathname;
    mkdirSync(dirname(file), { recursive: true });
    const report = {
      startedAt,
      mode: MODE,
      wallClockSeconds: (performance.now() - T0) / 1000,
      note: 'shared machine: servers, PostgreSQL, Redis and the load generator on the same cores',
      settings: { connections: CONNECTIONS, rate: RATE, seconds: SECONDS, rounds: ROUNDS, roots: ROOTS },
      runs,
      medians,
      plans: Object.fromEntries(plans),
    };
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${file}`);
  } finally {
    for (const copy of copies) await copy.drop();
  }
}

await main();
