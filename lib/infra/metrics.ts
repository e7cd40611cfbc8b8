import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database, ExecutedQuery } from './db/database.js';

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
  };
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
    onParse({ context }) {
      started.set(context, performance.now());
      return ({ result }) => {
        if (result instanceof Error) record('unknown', 'rejected', undefined);
      };
    },
    onValidate({ context, params }) {
      return ({ valid }) => {
        if (!valid) record(operationTypeOf(params.documentAST, context), 'rejected', undefined);
      };
    },
    onExecute({ args }) {
      const start = started.get(args.contextValue as object) ?? performance.now();
      const operationType = operationTypeOf(args.document, args.contextValue, args.operationName);
      return {
        onExecuteDone({ result }) {
          // A streamed result (@defer) counts when its first part is ready.
          record(operationType, hasErrors(result) ? 'error' : 'success', start);
        },
      };
    },
    onSubscribe({ args }) {
      const start = started.get(args.contextValue as object) ?? performance.now();
      return {
        onSubscribeResult({ result }) {
          // An event stream is a started subscription; a plain result with errors is a refusal.
          record('subscription', hasErrors(result) ? 'error' : 'success', start);
        },
      };
    },
  };
}

/** A single result with errors (an event stream has none of its own). */
function hasErrors(result: object): boolean {
  const errors = (result as { errors?: readonly unknown[] }).errors;
  return errors !== undefined && errors.length > 0;
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

/** What the gateway's subgraph data sources report for each fetch. */
export interface SubgraphFetchMetrics {
  observe(subgraph: string, outcome: FetchOutcome, seconds: number): void;
}

/** `gateway_subgraph_requests_total{subgraph, outcome}` and `gateway_subgraph_request_duration_seconds{subgraph, outcome}`. */
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
  return {
    observe(subgraph, outcome, seconds) {
      requests.inc({ subgraph, outcome });
      duration.observe({ subgraph, outcome }, seconds);
    },
  };
}
