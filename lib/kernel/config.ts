import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The only module that reads `process.env`. Everything is validated at start-up, every bad
 * variable is reported at once (by name), and the result is a frozen, typed object.
 */

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .refine(
      (value) => value === undefined || protocols.some((p) => value.startsWith(`${p}://`)),
      `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    );
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** Sized so GraphiQL's introspection query and every operation of the apps pass (gateway/README.md). */
export const DEFAULT_OPERATION_LIMITS = Object.freeze({
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 2000,
  maxDirectives: 50,
  maxCost: 5000,
});

/**
 * TTL in seconds of cached responses, per type or `Type.field`; a response lives as long as
 * the smallest entry it contains, 0 meaning never cached (the feed, presence). RESPONSE_CACHE_TTL
 * overrides or adds entries. `HashtagTrend` defaults to TRENDING_TTL_SECONDS: the posts
 * subgraph caches the aggregate that long already.
 */
export const DEFAULT_RESPONSE_CACHE_TTL: Readonly<Record<string, number>> = Object.freeze({
  User: 300,
  Post: 60,
  'Query.feed': 0,
  'Query.onlineUsers': 0,
  // Presence changes invalidate User:<id> (gateway/presence-tracker.ts); the TTL bounds the
  // change no gateway sees: a crashed instance's users going offline when their keys expire.
  'User.online': 5,
});

/** `Post=60,User.online=0`: type names or `Type.field`, seconds. */
const ttlList = z
  .string()
  .trim()
  .transform((value, context) => {
    const entries: Record<string, number> = {};
    for (const item of value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)=(\d+)$/.exec(item);
      if (match === null) {
        context.addIssue({ code: 'custom', message: `"${item}" is not Type=seconds or Type.field=seconds` });
        return z.NEVER;
      }
      entries[match[1] as string] = Number(match[2]);
    }
    return entries;
  });

/**
 * The gateway's WebSocket clients: pinged every 30 s (the seed's heartbeat) and closed after two
 * missed pings; caps sized for campuses where thousands of students share one NAT address.
 */
export const DEFAULT_WEBSOCKET_LIMITS = Object.freeze({
  pingIntervalMs: 30_000,
  maxSubscriptions: 100,
  maxPerViewer: 20,
  maxPerAddress: 1000,
});

/** How often the gateway asks SUPERGRAPH_URL for a new supergraph. */
export const DEFAULT_SUPERGRAPH_POLL_INTERVAL_MS = 10_000;

/** How long the gateway waits for a subgraph's whole answer (SUBGRAPH_TIMEOUT_MS). */
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 5000;

/**
 * The pg pools of every process (the seed's values): up to 20 connections, 5 kept open, an idle
 * one closed after 30 s, 2 s to connect, and every statement cancelled by the server after 30 s.
 */
export const DEFAULT_DATABASE_POOL = Object.freeze({
  max: 20,
  min: 5,
  idleTimeoutMs: 30_000,
  connectionTimeoutMs: 2000,
  statementTimeoutMs: 30_000,
});

/** How long after a viewer's mutation (or sign-in) their queries still read from the primary. */
export const DEFAULT_READ_YOUR_WRITES_MS = 5000;

/** What is slow enough to log a warning (the seed's thresholds): a request of 1 s, an SQL statement of 100 ms. */
export const DEFAULT_SLOW_THRESHOLDS = Object.freeze({ requestMs: 1000, queryMs: 100 });

/** searchPosts ranks this many of a query's newest matches together (subgraphs/posts/services/search-posts.ts). */
export const DEFAULT_SEARCH_WINDOW_SIZE = 200;

/** Automatic persisted queries: documents kept a day, anonymous GETs cacheable for 30 s. */
export const DEFAULT_PERSISTED_QUERIES = Object.freeze({ ttlSeconds: 24 * 3600, maxAgeSeconds: 30 });

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool.optional(),
  // Warnings for slow requests and SQL statements (lib/service/slow-requests.ts, lib/infra/slow-statements.ts); 0 logs every one.
  SLOW_REQUEST_MS: z.coerce.number().int().min(0).max(600_000).default(DEFAULT_SLOW_THRESHOLDS.requestMs),
  SLOW_QUERY_MS: z.coerce.number().int().min(0).max(600_000).default(DEFAULT_SLOW_THRESHOLDS.queryMs),
  HOST: z.string().trim().min(1).optional(),
  // Where each subgraph listens; HOST when unset, else loopback only (only the gateway calls them).
  USERS_HOST: z.string().trim().min(1).optional(),
  POSTS_HOST: z.string().trim().min(1).optional(),
  MESSAGES_HOST: z.string().trim().min(1).optional(),
  // Shared by the gateway and the subgraphs: subgraphs answer only requests signed with it (lib/kernel/request-signature.ts).
  SUBGRAPH_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  GATEWAY_PORT: port.default(4000),
  USERS_PORT: port.default(4001),
  POSTS_PORT: port.default(4002),
  MESSAGES_PORT: port.default(4003),
  USERS_URL: optionalUrl(['http', 'https']),
  POSTS_URL: optionalUrl(['http', 'https']),
  MESSAGES_URL: optionalUrl(['http', 'https']),
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(DEFAULT_SUBGRAPH_TIMEOUT_MS),
  SUBGRAPH_QUERY_DEDUPLICATION: bool.default(true),
  // The supergraph the gateway serves (gateway/supergraph-source.ts): a file watched for changes, or a URL polled.
  SUPERGRAPH_FILE: z.string().trim().min(1).optional(),
  SUPERGRAPH_URL: optionalUrl(['http', 'https']),
  SUPERGRAPH_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(DEFAULT_SUPERGRAPH_POLL_INTERVAL_MS),
  SUPERGRAPH_WATCH: bool.default(true),
  TRENDING_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  // Matches searchPosts ranks together; a page reads one window (two where it crosses into the next).
  SEARCH_WINDOW_SIZE: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_SEARCH_WINDOW_SIZE),
  // How long a `typing: true` holds without a new setTyping before subscribers get `typing: false`.
  TYPING_TTL_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
  SUBSCRIPTION_SHARED_EXECUTION: bool.default(true),
  // How long the gateway keeps resubscribing to a subgraph it lost before telling clients to reconnect (0: never resubscribes).
  SUBSCRIPTION_RESUME_WINDOW_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  // How long a process keeps serving with /readyz at 503 after SIGTERM (lib/infra/shutdown.ts).
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).optional(),
  // The gateway's WebSocket clients (gateway/websocket-server.ts): heartbeat and caps.
  WEBSOCKET_PING_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_WEBSOCKET_LIMITS.pingIntervalMs),
  WEBSOCKET_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_WEBSOCKET_LIMITS.maxSubscriptions),
  WEBSOCKET_MAX_PER_VIEWER: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_WEBSOCKET_LIMITS.maxPerViewer),
  WEBSOCKET_MAX_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_WEBSOCKET_LIMITS.maxPerAddress),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  // Reads that need not see the viewer's own writes go there (lib/service/read-routing.ts).
  DATABASE_READ_URL: optionalUrl(['postgres', 'postgresql']),
  // The pool's maximum (the name is older than the other pool settings).
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(DEFAULT_DATABASE_POOL.max),
  // Default: DEFAULT_DATABASE_POOL.min, or DATABASE_POOL_SIZE when that is smaller.
  DATABASE_POOL_MIN: z.coerce.number().int().min(0).max(200).optional(),
  DATABASE_IDLE_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(DEFAULT_DATABASE_POOL.idleTimeoutMs),
  DATABASE_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(DEFAULT_DATABASE_POOL.connectionTimeoutMs),
  // 0 turns the server-side limit off (PostgreSQL's own meaning of statement_timeout = 0).
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(DEFAULT_DATABASE_POOL.statementTimeoutMs),
  DATABASE_READ_YOUR_WRITES_MS: z.coerce.number().int().min(0).max(600_000).default(DEFAULT_READ_YOUR_WRITES_MS),
  DATA_DIR: z.string().trim().min(1).default('.data'),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a PKCS#8 PEM Ed25519 private key' }).optional(),
  JWT_PUBLIC_KEY: z.string().includes('PUBLIC KEY', { message: 'must be an SPKI PEM Ed25519 public key' }).optional(),
  JWT_ISSUER: z.string().trim().min(1).default('chitlaq'),
  JWT_AUDIENCE: z.string().trim().min(1).default('chitlaq-graph'),
  JWT_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(90 * 24 * 3600)
    .default(7 * 24 * 3600),
  // Off in production unless turned on (as Apollo Server does); on elsewhere.
  GRAPHIQL: bool.optional(),
  // Rate limits at the gateway (gateway/plugins/rate-limit.ts).
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(100),
  LOGIN_ATTEMPTS_PER_15_MIN: z.coerce.number().int().min(1).default(10),
  REGISTER_ATTEMPTS_PER_HOUR: z.coerce.number().int().min(1).default(20),
  // Only behind a proxy that sets X-Forwarded-For: otherwise any client could pick its own IP.
  TRUST_PROXY: bool.default(false),
  // Operation limits checked before execution (gateway/plugins/operation-limits.ts).
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).max(1000).default(DEFAULT_OPERATION_LIMITS.maxDepth),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_OPERATION_LIMITS.maxAliases),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(10).max(1_000_000).default(DEFAULT_OPERATION_LIMITS.maxTokens),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_OPERATION_LIMITS.maxDirectives),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).max(10_000_000).default(DEFAULT_OPERATION_LIMITS.maxCost),
  // Off in production unless turned on (as Apollo Server does); on elsewhere.
  INTROSPECTION: bool.optional(),
  // Automatic persisted queries (gateway/plugins/persisted-queries.ts).
  PERSISTED_QUERIES_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .default(DEFAULT_PERSISTED_QUERIES.ttlSeconds),
  PERSISTED_QUERIES_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 3600)
    .default(DEFAULT_PERSISTED_QUERIES.maxAgeSeconds),
  // Trusted documents only (gateway/plugins/trusted-documents.ts): operations outside the manifest are refused.
  PERSISTED_OPERATIONS_ONLY: bool.default(false),
  // The gateway's response cache (gateway/plugins/response-cache.ts).
  RESPONSE_CACHE_ENABLED: bool.default(true),
  // Hits answered before Yoga parses the request (gateway/response-cache/early-hits.ts); off only to compare.
  RESPONSE_CACHE_EARLY_HITS: bool.default(true),
  RESPONSE_CACHE_DEFAULT_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  RESPONSE_CACHE_TTL: ttlList.optional(),
  RESPONSE_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  // Hot responses kept in process memory in front of Redis (checked against Redis's epoch); 0: none.
  RESPONSE_CACHE_LOCAL_MAX_ENTRIES: z.coerce.number().int().min(0).max(1_000_000).default(2000),
  // Above the event-loop lag of a saturated gateway: a reply that arrived but was not read in
  // time would otherwise turn hits into misses exactly when misses cost most.
  RESPONSE_CACHE_REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(250),
  // The gateway's entity cache (gateway/entity-cache/): subgraph fetch results per entity and root fetch.
  ENTITY_CACHE_ENABLED: bool.default(true),
  ENTITY_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  // The in-process layer in front of Redis (every entry is checked against Redis's epoch); 0: none.
  ENTITY_CACHE_LOCAL_MAX_ENTRIES: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  // Prefixes the Redis keys of cached data (responses, aggregates): deployments or test runs
  // that share one Redis but not one database must not read each other's.
  CACHE_NAMESPACE: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ . -')
    .default('chitlaq'),
});

export type JwtKeyConfig =
  | { readonly algorithm: 'HS256'; readonly secret: string; readonly source: 'env' | 'dev-file' }
  | { readonly algorithm: 'EdDSA'; readonly privateKey: string | undefined; readonly publicKey: string };

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly log: {
    readonly level: string;
    readonly pretty: boolean;
    /** A request answered this late or later logs a warning (SLOW_REQUEST_MS). */
    readonly slowRequestMs: number;
    /** An SQL statement this slow or slower logs a warning (SLOW_QUERY_MS). */
    readonly slowQueryMs: number;
  };
  readonly host: string | undefined;
  /** The address each subgraph listens on: its *_HOST, else HOST, else 127.0.0.1. */
  readonly subgraphHosts: { readonly users: string; readonly posts: string; readonly messages: string };
  /** The secret that signs the gateway's requests to subgraphs (lib/kernel/request-signature.ts). */
  readonly subgraphSigning: { readonly secret: string; readonly source: 'env' | 'dev-file' };
  readonly ports: { readonly gateway: number; readonly users: number; readonly posts: number; readonly messages: number };
  /** Where the gateway finds each subgraph; undefined means "on this host, at its port". */
  readonly subgraphUrls: {
    readonly users: string | undefined;
    readonly posts: string | undefined;
    readonly messages: string | undefined;
  };
  /** Deadline of one subgraph fetch, from sending to the last byte of the answer. */
  readonly subgraphTimeoutMs: number;
  /** Identical subgraph queries in flight at once share one request (SUBGRAPH_QUERY_DEDUPLICATION). */
  readonly subgraphQueryDeduplication: boolean;
  /** Where the gateway reads its supergraph, and whether it reloads it when it changes. */
  readonly supergraph: {
    /** A supergraph file (SUPERGRAPH_FILE); undefined: the composed supergraph.graphql of this repository. */
    readonly file: string | undefined;
    /** Polled instead of the file when set (SUPERGRAPH_URL), e.g. a schema registry's supergraph endpoint. */
    readonly url: string | undefined;
    readonly pollIntervalMs: number;
    /** Reload on change (file events, or each poll of the URL); SIGHUP reloads either way. */
    readonly watch: boolean;
  };
  readonly database: {
    /** The primary: every write, migrations, and the reads that must see the viewer's own writes. */
    readonly url: string | undefined;
    /** A streaming replica for the other reads (DATABASE_READ_URL); undefined: the primary serves all. */
    readonly readUrl: string | undefined;
    /** Each pg pool of this process (the primary's, and the replica's when there is one). */
    readonly pool: DatabasePoolConfig;
    /** After a viewer's mutation or sign-in, their queries read from the primary this long. */
    readonly readYourWritesMs: number;
    readonly dataDir: string;
  };
  readonly redis: { readonly url: string | undefined };
  /** How long computed aggregates are reused. */
  readonly cache: {
    readonly trendingTtlSeconds: number;
    /** Prefix of the Redis keys of cached data (CACHE_NAMESPACE). */
    readonly namespace: string;
  };
  /** Full-text search (searchPosts): how many of a query's newest matches are ranked together. */
  readonly search: { readonly windowSize: number };
  /** Real-time delivery (subscriptions). */
  readonly realtime: {
    readonly typingTtlMs: number;
    /** Subscribers receiving the same event with a viewer-independent selection share its execution. */
    readonly sharedExecution: boolean;
    /** The gateway resubscribes to a lost subgraph from each subscription's last event for this long (gateway/resuming-upstream.ts). */
    readonly resumeWindowMs: number;
  };
  /** After SIGTERM, /readyz answers 503 this long before the servers close (production: 5 s; else 0). */
  readonly shutdownDrainMs: number;
  /** The gateway's WebSocket clients: a ping every interval, closed after two missed; caps. */
  readonly webSockets: {
    readonly pingIntervalMs: number;
    /** Operations open at once on one socket. */
    readonly maxSubscriptions: number;
    /** Sockets open at once for one viewer, on one gateway instance. */
    readonly maxPerViewer: number;
    /** Sockets open at once from one client address, on one gateway instance. */
    readonly maxPerAddress: number;
  };
  readonly auth: {
    readonly key: JwtKeyConfig;
    readonly issuer: string;
    readonly audience: string;
    readonly ttlSeconds: number;
  };
  readonly graphiql: boolean;
  /** Requests per window the gateway accepts (gateway/plugins/rate-limit.ts). */
  readonly rateLimit: {
    /** Operations per minute per viewer, or per client IP when anonymous. */
    readonly perMinute: number;
    /** `login` field calls per 15 minutes per email and client IP; a successful login resets it. */
    readonly loginAttemptsPer15Min: number;
    /** `register` field calls per hour per client IP. */
    readonly registerAttemptsPerHour: number;
  };
  /** The client IP is taken from X-Forwarded-For (set by a trusted proxy) instead of the socket. */
  readonly trustProxy: boolean;
  /** What the gateway refuses before execution (gateway/plugins/operation-limits.ts). */
  readonly operationLimits: {
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxTokens: number;
    readonly maxDirectives: number;
    readonly maxCost: number;
  };
  readonly introspection: boolean;
  /** Automatic persisted queries (gateway/plugins/persisted-queries.ts). */
  readonly persistedQueries: {
    /** How long a registered document is kept in the shared store. */
    readonly ttlSeconds: number;
    /** `max-age` of anonymous persisted-query GETs (`Cache-Control: public`). */
    readonly maxAgeSeconds: number;
  };
  /** Only the operations of the trusted-documents manifest run (gateway/plugins/trusted-documents.ts). */
  readonly persistedOperationsOnly: boolean;
  /** The gateway's response cache (gateway/plugins/response-cache.ts), in Redis when REDIS_URL is set. */
  readonly responseCache: {
    readonly enabled: boolean;
    /** Hits of known documents answered before parsing (RESPONSE_CACHE_EARLY_HITS). */
    readonly earlyHits: boolean;
    readonly defaultTtlSeconds: number;
    /** Seconds per type or `Type.field` (DEFAULT_RESPONSE_CACHE_TTL with RESPONSE_CACHE_TTL over it). */
    readonly ttlSeconds: Readonly<Record<string, number>>;
    /** Entries the in-memory store keeps (embedded mode). */
    readonly maxEntries: number;
    /** Responses kept in process memory in front of Redis; 0 for none. */
    readonly localMaxEntries: number;
    /** Redis commands slower than this count as misses. */
    readonly redisTimeoutMs: number;
  };
  /**
   * The gateway's entity cache (gateway/entity-cache/): in Redis when REDIS_URL is set, with the
   * response cache's TTLs and Redis timeout.
   */
  readonly entityCache: {
    readonly enabled: boolean;
    /** Entries the in-memory store keeps (embedded mode). */
    readonly maxEntries: number;
    /** Entries kept in process memory in front of Redis; 0 for none. */
    readonly localMaxEntries: number;
  };
}

export interface DatabasePoolConfig {
  /** Connections at most (DATABASE_POOL_SIZE). */
  readonly max: number;
  /** Connections opened at start and never closed for being idle. */
  readonly min: number;
  readonly idleTimeoutMs: number;
  /** How long to wait for a new connection before the statement fails. */
  readonly connectionTimeoutMs: number;
  /** The server cancels a statement running longer (`statement_timeout`); 0: never. */
  readonly statementTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment into a Config. Throws ConfigError naming every bad variable.
 * Outside production, a missing JWT key falls back to a random secret kept in DATA_DIR,
 * so tokens survive restarts of `npm start` without any set-up.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  let key: JwtKeyConfig | undefined;
  if (e.JWT_SECRET !== undefined && (e.JWT_PRIVATE_KEY !== undefined || e.JWT_PUBLIC_KEY !== undefined)) {
    problems.push('JWT_SECRET: set either JWT_SECRET (HS256) or JWT_PUBLIC_KEY/JWT_PRIVATE_KEY (EdDSA), not both');
  } else if (e.JWT_SECRET !== undefined) {
    key = { algorithm: 'HS256', secret: e.JWT_SECRET, source: 'env' };
  } else if (e.JWT_PUBLIC_KEY !== undefined) {
    key = { algorithm: 'EdDSA', privateKey: e.JWT_PRIVATE_KEY, publicKey: e.JWT_PUBLIC_KEY };
  } else if (e.JWT_PRIVATE_KEY !== undefined) {
    problems.push('JWT_PUBLIC_KEY: required when JWT_PRIVATE_KEY is set');
  } else if (e.NODE_ENV === 'production') {
    problems.push('JWT_SECRET: required in production (or JWT_PUBLIC_KEY and JWT_PRIVATE_KEY for EdDSA)');
  } else {
    key = { algorithm: 'HS256', secret: readOrCreateDevSecret(e.DATA_DIR), source: 'dev-file' };
  }
  let subgraphSigning: Config['subgraphSigning'] | undefined;
  if (e.SUBGRAPH_SIGNING_SECRET !== undefined) subgraphSigning = { secret: e.SUBGRAPH_SIGNING_SECRET, source: 'env' };
  else if (e.NODE_ENV === 'production') problems.push('SUBGRAPH_SIGNING_SECRET: required in production');
  else subgraphSigning = { secret: readOrCreateDevSecret(e.DATA_DIR, 'dev-subgraph-signing-secret'), source: 'dev-file' };
  if (e.DATABASE_POOL_MIN !== undefined && e.DATABASE_POOL_MIN > e.DATABASE_POOL_SIZE) {
    problems.push(`DATABASE_POOL_MIN: must not exceed DATABASE_POOL_SIZE (${e.DATABASE_POOL_SIZE})`);
  }
  if (e.DATABASE_READ_URL !== undefined && e.DATABASE_URL === undefined) {
    problems.push('DATABASE_READ_URL: needs DATABASE_URL (the embedded database has no replica)');
  }
  if (problems.length > 0 || key === undefined || subgraphSigning === undefined) throw new ConfigError(problems);

  return Object.freeze({
    env: e.NODE_ENV,
    log: {
      level: e.LOG_LEVEL,
      pretty: e.LOG_PRETTY ?? (e.NODE_ENV === 'development' && process.stdout.isTTY === true),
      slowRequestMs: e.SLOW_REQUEST_MS,
      slowQueryMs: e.SLOW_QUERY_MS,
    },
    host: e.HOST,
    subgraphHosts: {
      users: e.USERS_HOST ?? e.HOST ?? '127.0.0.1',
      posts: e.POSTS_HOST ?? e.HOST ?? '127.0.0.1',
      messages: e.MESSAGES_HOST ?? e.HOST ?? '127.0.0.1',
    },
    subgraphSigning,
    ports: { gateway: e.GATEWAY_PORT, users: e.USERS_PORT, posts: e.POSTS_PORT, messages: e.MESSAGES_PORT },
    subgraphUrls: { users: e.USERS_URL, posts: e.POSTS_URL, messages: e.MESSAGES_URL },
    subgraphTimeoutMs: e.SUBGRAPH_TIMEOUT_MS,
    subgraphQueryDeduplication: e.SUBGRAPH_QUERY_DEDUPLICATION,
    supergraph: {
      file: e.SUPERGRAPH_FILE === undefined ? undefined : resolve(e.SUPERGRAPH_FILE),
      url: e.SUPERGRAPH_URL,
      pollIntervalMs: e.SUPERGRAPH_POLL_INTERVAL_MS,
      watch: e.SUPERGRAPH_WATCH,
    },
    cache: { trendingTtlSeconds: e.TRENDING_TTL_SECONDS, namespace: e.CACHE_NAMESPACE },
    search: { windowSize: e.SEARCH_WINDOW_SIZE },
    realtime: {
      typingTtlMs: e.TYPING_TTL_MS,
      sharedExecution: e.SUBSCRIPTION_SHARED_EXECUTION,
      resumeWindowMs: e.SUBSCRIPTION_RESUME_WINDOW_MS,
    },
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS ?? (e.NODE_ENV === 'production' ? 5000 : 0),
    webSockets: {
      pingIntervalMs: e.WEBSOCKET_PING_INTERVAL_MS,
      maxSubscriptions: e.WEBSOCKET_MAX_SUBSCRIPTIONS,
      maxPerViewer: e.WEBSOCKET_MAX_PER_VIEWER,
      maxPerAddress: e.WEBSOCKET_MAX_PER_ADDRESS,
    },
    database: {
      url: e.DATABASE_URL,
      readUrl: e.DATABASE_READ_URL,
      pool: {
        max: e.DATABASE_POOL_SIZE,
        min: e.DATABASE_POOL_MIN ?? Math.min(DEFAULT_DATABASE_POOL.min, e.DATABASE_POOL_SIZE),
        idleTimeoutMs: e.DATABASE_IDLE_TIMEOUT_MS,
        connectionTimeoutMs: e.DATABASE_CONNECTION_TIMEOUT_MS,
        statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      },
      readYourWritesMs: e.DATABASE_READ_YOUR_WRITES_MS,
      dataDir: resolve(e.DATA_DIR),
    },
    redis: { url: e.REDIS_URL },
    auth: { key, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, ttlSeconds: e.JWT_TTL_SECONDS },
    graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production',
    rateLimit: {
      perMinute: e.RATE_LIMIT_PER_MINUTE,
      loginAttemptsPer15Min: e.LOGIN_ATTEMPTS_PER_15_MIN,
      registerAttemptsPerHour: e.REGISTER_ATTEMPTS_PER_HOUR,
    },
    trustProxy: e.TRUST_PROXY,
    operationLimits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxCost: e.GRAPHQL_MAX_COST,
    },
    introspection: e.INTROSPECTION ?? e.NODE_ENV !== 'production',
    persistedQueries: { ttlSeconds: e.PERSISTED_QUERIES_TTL_SECONDS, maxAgeSeconds: e.PERSISTED_QUERIES_MAX_AGE_SECONDS },
    persistedOperationsOnly: e.PERSISTED_OPERATIONS_ONLY,
    responseCache: {
      enabled: e.RESPONSE_CACHE_ENABLED,
      earlyHits: e.RESPONSE_CACHE_EARLY_HITS,
      defaultTtlSeconds: e.RESPONSE_CACHE_DEFAULT_TTL_SECONDS,
      ttlSeconds: { ...DEFAULT_RESPONSE_CACHE_TTL, HashtagTrend: e.TRENDING_TTL_SECONDS, ...e.RESPONSE_CACHE_TTL },
      maxEntries: e.RESPONSE_CACHE_MAX_ENTRIES,
      localMaxEntries: e.RESPONSE_CACHE_LOCAL_MAX_ENTRIES,
      redisTimeoutMs: e.RESPONSE_CACHE_REDIS_TIMEOUT_MS,
    },
    entityCache: {
      enabled: e.ENTITY_CACHE_ENABLED,
      maxEntries: e.ENTITY_CACHE_MAX_ENTRIES,
      localMaxEntries: e.ENTITY_CACHE_LOCAL_MAX_ENTRIES,
    },
  });
}

function readOrCreateDevSecret(dataDir: string, name = 'dev-jwt-secret'): string {
  const file = join(resolve(dataDir), name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(resolve(dataDir), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
