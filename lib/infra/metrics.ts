import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CODES } from '../kernel/errors.js';
import type { Database, ExecutedQuery } from './db/database.js';
import type { CommandErrorListener } from './key-value-store.js';

/**
 * Prometheus metrics (docs/metrics.md). Every service (the gateway, each subgraph) owns one
 * `Registry` with a `service` default label, even when `npm start` runs all four in one
 * process: nothing here touches prom-client's global registry. Each process serves its
 * registry at `GET /metrics` through `useMetrics`, which `commonYogaOptions` installs.
 */

/** Where every process serves its metrics (Prometheus text format). */
export const METRICS_ENDPOINT = '/metrics';

/** `success`: no errors; `error`: errors in the result (a refusal at execution counts here); `rejected`: failed parsing or validation, never executed. */
export type OperationOutcome = 'success' | 'error' | 'rejected';
/** `success`: a result without errors; `error`: an answer with GraphQL errors or a non-2xx status; `failed`: no answer (connection refused or reset, timeout). */
export type FetchOutcome = 'success' | 'error' | 'failed';

/** GraphQL operations take milliseconds to seconds. */
const OPERATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** SQL statements take well under a millisecond to a second; fine buckets keep the p95 meaningful. */
const SQL_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One service's registry and the metrics every service has. */
export interface ServiceMetrics {
  readonly service: string;
  /**
   * Where further metrics go: `new Counter({ name, help, registers: [metrics.registry] })`.
   * The `service` label is added to every sample at scrape time.
   */
  readonly registry: Registry;
  /** `graphql_operations_total{operation_type, outcome}` */
  readonly operations: Counter<'operation_type' | 'outcome'>;
  /** `graphql_operation_duration_seconds{operation_type, outcome}`: from parsing to the result (to the subscription's start for subscriptions). */
  readonly operationDuration: Histogram<'operation_type' | 'outcome'>;
  /** `graphql_errors_total{code}`: errors sent to clients, by `extensions.code` (countClientErrors). */
  readonly errors: Counter<'code'>;
  /** `rate_limit_refusals_total{limit}`: RATE_LIMITED errors sent, by their `extensions.limit`. */
  readonly rateLimitRefusals: Counter<'limit'>;
  /** `redis_command_errors_total{client, command}`: Redis commands of this service's clients that failed. */
  readonly redisCommandErrors: Counter<'client' | 'command'>;
}

/**
 * A new registry for `service` (gateway, users, posts, messages) with the GraphQL operation
 * metrics and, unless turned off, Node's process metrics (`process_*`, `nodejs_*`).
 */
export function createServiceMetrics(service: string, options: { processMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    service,
    registry,
    operations: new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations handled by this service, by operation type and outcome.',
      labelNames: ['operation_type', 'outcome'],
      registers: [registry],
    }),
    operationDuration: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'Time from parsing a GraphQL operation to its result (subscriptions: to their start), in seconds.',
      labelNames: ['operation_type', 'outcome'],
      buckets: OPERATION_BUCKETS,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors this service sent to its clients, by extensions.code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: 'rate_limit_refusals_total',
      help: 'Requests refused with RATE_LIMITED, by the limit they hit (extensions.limit).',
      labelNames: ['limit'],
      registers: [registry],
    }),
    redisCommandErrors: new Counter({
      name: 'redis_command_errors_total',
      help: 'Redis commands of this service that failed (refused, timed out, connection lost), by client and command.',
      labelNames: ['client', 'command'],
      registers: [registry],
    }),
  };
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);
/** A limit is named after its config variable (RATE_LIMIT_PER_MINUTE): anything else is not ours. */
const LIMIT_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Counts the errors of one result sent to a client: `graphql_errors_total{code}` (a code outside
 * API.md's set counts as `OTHER`, none as `NONE`, so the label's values stay fixed), and for
 * RATE_LIMITED also `rate_limit_refusals_total{limit}`. useMetrics calls it for every HTTP
 * response and every operation over the gateway's WebSocket; a transport that answers errors
 * of its own (a socket server refusing a subscribe) calls it with them.
 */
export function countClientErrors(metrics: ServiceMetrics, errors: readonly unknown[] | undefined): void {
  if (errors === undefined) return;
  for (const error of errors) {
    const extensions = (error as { extensions?: { code?: unknown; limit?: unknown } } | null)?.extensions;
    const code = extensions?.code;
    metrics.errors.inc({ code: typeof code !== 'string' ? 'NONE' : KNOWN_CODES.has(code) ? code : 'OTHER' });
    if (code !== 'RATE_LIMITED') continue;
    const limit = extensions?.limit;
    metrics.rateLimitRefusals.inc({ limit: typeof limit === 'string' && LIMIT_NAME.test(limit) ? limit : 'OTHER' });
  }
}

/**
 * Serves `GET /metrics` and counts GraphQL operations on every transport that runs through
 * this Yoga's envelop (HTTP, and the gateway's WebSocket). /metrics answers in `onRequest`,
 * before request parsing: it is never a GraphQL operation, so CSRF prevention, rate limits
 * and operation counting do not see it. It is not authenticated: expose it on an internal
 * network only.
 */
export function useMetrics(metrics: ServiceMetrics): Plugin {
  /** When each operation's parsing started, by its context (one per operation, batches included). */
  const started = new WeakMap<object, number>();
  const record = (operationType: string, outcome: OperationOutcome, start: number | undefined) => {
    metrics.operations.inc({ operation_type: operationType, outcome });
    if (start !== undefined) {
      metrics.operationDuration.observe({ operation_type: operationType, outcome }, (performance.now() - start) / 1000);
    }
  };
  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== METRICS_ENDPOINT || request.method !== 'GET') return;
      endResponse(
        new fetchAPI.Response(await metrics.registry.metrics(), {
          headers: { 'content-type': metrics.registry.contentType },
        }),
      );
    },
    // Over HTTP every response's errors, refusals before any operation included (an unknown
    // persisted-query hash, an invalid token); the WebSocket's are counted in the hooks below.
    onResultProcess({ result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        if (!isAsyncIterable(single)) countClientErrors(metrics, (single as { errors?: readonly unknown[] }).errors);
      }
    },
    onParse({ context }) {
      started.set(context, performance.now());
      return ({ result }) => {
        if (!(result instanceof Error)) return;
        record('unknown', 'rejected', undefined);
        if (overWebSocket(context)) countClientErrors(metrics, [result]);
      };
    },
    onValidate({ context, params }) {
      return ({ valid, result }) => {
        if (valid) return;
        record(operationTypeOf(params.documentAST, context), 'rejected', undefined);
        if (overWebSocket(context)) countClientErrors(metrics, result);
      };
    },
    onExecute({ args }) {
      const start = started.get(args.contextValue as object) ?? performance.now();
      const operationType = operationTypeOf(args.document, args.contextValue, args.operationName);
      return {
        onExecuteDone({ result }) {
          // A streamed result (@defer) counts when its first part is ready.
          record(operationType, hasErrors(result) ? 'error' : 'success', start);
          if (overWebSocket(args.contextValue)) countClientErrors(metrics, errorsOf(result));
        },
      };
    },
    onSubscribe({ args }) {
      const start = started.get(args.contextValue as object) ?? performance.now();
      return {
        onSubscribeResult({ result }) {
          // An event stream is a started subscription; a plain result with errors is a refusal.
          record('subscription', hasErrors(result) ? 'error' : 'success', start);
          if (overWebSocket(args.contextValue)) countClientErrors(metrics, errorsOf(result));
        },
      };
    },
  };
}

/** A single result with errors (an event stream has none of its own). */
function hasErrors(result: object): boolean {
  const errors = errorsOf(result);
  return errors !== undefined && errors.length > 0;
}

function errorsOf(result: object): readonly unknown[] | undefined {
  return (result as { errors?: readonly unknown[] }).errors;
}

function isAsyncIterable(value: unknown): boolean {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}

/** The gateway's WebSocket passes `transport: 'websocket'` in its initial context (gateway/websocket-server.ts). */
function overWebSocket(context: unknown): boolean {
  return (context as { transport?: unknown } | null)?.transport === 'websocket';
}

function operationTypeOf(
  document: Parameters<typeof getOperationAST>[0],
  context: unknown,
  operationName?: string | null,
): string {
  const name = operationName ?? (context as { params?: { operationName?: string } } | null)?.params?.operationName;
  return getOperationAST(document, name)?.operation ?? 'unknown';
}

/**
 * `sql_statement_duration_seconds{outcome, pool}` for the statements of one subgraph (those `owns`
 * recognises: the database is shared by every subgraph of an embedded platform), timed by
 * Kysely around the driver call. With pg pools, also `db_pool_connections{pool, state}` and
 * `db_pool_waiting_requests{pool}`, pool being `primary` or `replica`. Returns the function that stops observing.
 */
export function observeDatabase(
  metrics: ServiceMetrics,
  database: Database,
  owns: (query: ExecutedQuery['query']) => boolean,
): () => void {
  const statementDuration = new Histogram({
    name: 'sql_statement_duration_seconds',
    help: 'Time the database took to run one SQL statement of this service, in seconds, by outcome and pool (primary, replica).',
    labelNames: ['outcome', 'pool'],
    buckets: SQL_BUCKETS,
    registers: [metrics.registry],
  });
  if (database.poolStats().length > 0) {
    new Gauge({
      name: 'db_pool_connections',
      help: 'Connections of each PostgreSQL pool this service uses (pool: primary, replica), by state (total, idle).',
      labelNames: ['pool', 'state'],
      registers: [metrics.registry],
      collect() {
        for (const stats of database.poolStats()) {
          this.set({ pool: stats.pool, state: 'total' }, stats.total);
          this.set({ pool: stats.pool, state: 'idle' }, stats.idle);
        }
      },
    });
    new Gauge({
      name: 'db_pool_waiting_requests',
      help: 'Statements waiting for a free connection of each PostgreSQL pool (pool: primary, replica).',
      labelNames: ['pool'],
      registers: [metrics.registry],
      collect() {
        for (const stats of database.poolStats()) this.set({ pool: stats.pool }, stats.waiting);
      },
    });
  }
  return database.onQuery((executed) => {
    if (!owns(executed.query)) return;
    statementDuration.observe(
      { outcome: executed.failed ? 'error' : 'success', pool: executed.pool },
      executed.durationMs / 1000,
    );
  });
}

/**
 * Counts the failed commands of the shared Redis clients a service uses in
 * `redis_command_errors_total{client, command}` (`client`: `store`, `pubsub`). The clients are
 * the process's: services of one process that share them each count the same failures.
 * Returns the function that stops counting.
 */
export function observeRedisErrors(
  metrics: ServiceMetrics,
  clients: Partial<Record<'store' | 'pubsub', { onCommandError(listener: CommandErrorListener): () => void }>>,
): () => void {
  const stops = Object.entries(clients).map(([client, source]) =>
    source.onCommandError((command) => metrics.redisCommandErrors.inc({ client, command })),
  );
  return () => {
    for (const stop of stops) stop();
  };
}

/** What the gateway's subgraph data sources report for each fetch. */
export interface SubgraphFetchMetrics {
  observe(subgraph: string, outcome: FetchOutcome, seconds: number): void;
  /** A query answered by an identical one already in flight, not sent. */
  deduplicated(subgraph: string): void;
}

/**
 * `gateway_subgraph_requests_total{subgraph, outcome}`, `gateway_subgraph_request_duration_seconds{subgraph, outcome}`
 * and `gateway_subgraph_requests_deduplicated_total{subgraph}`.
 */
export function createSubgraphFetchMetrics(metrics: ServiceMetrics): SubgraphFetchMetrics {
  const requests = new Counter({
    name: 'gateway_subgraph_requests_total',
    help: 'Requests the gateway sent to each subgraph, by outcome.',
    labelNames: ['subgraph', 'outcome'],
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: 'gateway_subgraph_request_duration_seconds',
    help: 'Time from sending a request to a subgraph to its parsed response, in seconds.',
    labelNames: ['subgraph', 'outcome'],
    buckets: OPERATION_BUCKETS,
    registers: [metrics.registry],
  });
  const deduplicated = new Counter({
    name: 'gateway_subgraph_requests_deduplicated_total',
    help: 'Queries to each subgraph answered by an identical query already in flight instead of being sent.',
    labelNames: ['subgraph'],
    registers: [metrics.registry],
  });
  return {
    observe(subgraph, outcome, seconds) {
      requests.inc({ subgraph, outcome });
      duration.observe({ subgraph, outcome }, seconds);
    },
    deduplicated(subgraph) {
      deduplicated.inc({ subgraph });
    },
  };
}
