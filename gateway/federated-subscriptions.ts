import type { Schema } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { OperationContext } from '@apollo/gateway/dist/operationContext.js';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, GraphQLError, type GraphQLSchema, print } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import type { Logger } from '../lib/kernel/logger.js';
import { selectsViewerDependentField, viewerDependentFields } from '../lib/kernel/viewer-dependence.js';
import { pulled } from '../lib/realtime/async-queue.js';
import { DirectEventStream } from '../lib/realtime/direct-event-stream.js';
import { deliveryOf } from '../lib/realtime/event-delivery.js';
import { mapEvents } from '../lib/realtime/map-events.js';
import { PendingResult } from '../lib/realtime/pending-result.js';
import { SharedExecutions } from '../lib/realtime/shared-executions.js';
import type { GatewayContext } from './context.js';
import { batchEntityFetches } from './entity-fetch-batching.js';
import { type AccessRequirements, checkAccess } from './federation/access-requirements.js';
import { type PreparedPlan, type QueryPlans, serviceMapFor } from './federation/query-plans.js';
import type { RequiresAliaser } from './federation/requires-aliases.js';
import type { LoadedSupergraph } from './federation/supergraph.js';
import { PULLED_EVENT_BOUNDS, UpstreamRefusal } from './upstream-connection.js';
import type { UpstreamSubscriptions } from './upstream-subscriptions.js';
import { withValueCompletionErrors } from './value-completion.js';

/** A planned subscription: `primary` goes to the owning subgraph once, `rest` runs per event. */
interface SubscriptionPlan {
  readonly primary: FetchNode;
  /** The plan each event runs: `primary` (answered by the event itself), then `rest`. */
  readonly perEvent: QueryPlan;
  readonly operationContext: OperationContext;
  /** Distinguishes plans in the shared-results key. */
  readonly id: number;
  /** True when no selected field depends on the viewer: subscribers can share an event's result. */
  readonly shareable: boolean;
  /** The operation's text, for the request context of each event (printed once, not per event). */
  readonly source: string;
  /** The query plan it was made of, for the data sources each event runs with (federation/query-plans.ts). */
  readonly prepared: PreparedPlan;
  /** Each event's result as the client's document names its fields. */
  readonly restore: (result: ExecutionResult) => ExecutionResult;
}

/**
 * Executes federated subscriptions, which @apollo/gateway plans but refuses to run.
 *
 * The query planner turns a subscription into `primary` (a fetch to the subgraph that owns
 * the subscription field, e.g. `messageAdded { id body sender { id } }` to messages) and
 * `rest` (entity fetches for fields of other subgraphs, e.g. `sender { username }` from users).
 * `primary` is sent once, over the gateway's graphql-ws socket to that subgraph. Each event it
 * yields is then run through Apollo's own executeQueryPlan with `primary` answered by the
 * event (a one-shot data source), so `rest`, result shaping and errors work exactly as for
 * queries, with no code per field.
 */
export class FederatedSubscriptions {
  readonly #apiSchema: Schema;
  readonly #apiGraphQLSchema: GraphQLSchema;
  readonly #supergraphSchema: GraphQLSchema;
  readonly #queryPlans: QueryPlans;
  readonly #access: AccessRequirements;
  readonly #requiresAliases: RequiresAliaser;
  /** By the query plan they were made of (query-plans.ts keeps one per operation text and override choice). */
  readonly #plans = new WeakMap<PreparedPlan, SubscriptionPlan>();
  readonly #dataSources: Readonly<Record<string, GraphQLDataSource>>;
  /** The same subgraphs with entity fetches batched across events, for shared executions. */
  readonly #batchedDataSources: Readonly<Record<string, GraphQLDataSource>>;
  readonly #upstream: UpstreamSubscriptions;
  readonly #logger: Logger;
  readonly #viewerDependent: ReadonlySet<string>;
  readonly #sharedExecution: boolean;
  /** Results of events shared by the subscribers of one plan and variables (lib/realtime/shared-executions.ts). */
  readonly #shared = new SharedExecutions();
  #nextPlanId = 1;

  constructor(deps: {
    supergraph: LoadedSupergraph;
    plans: QueryPlans;
    dataSources: Readonly<Record<string, GraphQLDataSource>>;
    upstream: UpstreamSubscriptions;
    logger: Logger;
    /** Share one execution per event among subscribers of viewer-independent selections. */
    sharedExecution: boolean;
  }) {
    this.#apiSchema = deps.supergraph.apiSchema;
    this.#apiGraphQLSchema = deps.supergraph.apiGraphQLSchema;
    this.#supergraphSchema = deps.supergraph.supergraphSchema;
    this.#queryPlans = deps.plans;
    this.#access = deps.supergraph.access;
    this.#requiresAliases = deps.supergraph.requiresAliases;
    this.#dataSources = deps.dataSources;
    this.#batchedDataSources = Object.fromEntries(
      Object.entries(deps.dataSources).map(([name, source]) => [name, batchEntityFetches(source)]),
    );
    this.#upstream = deps.upstream;
    this.#logger = deps.logger;
    this.#viewerDependent = viewerDependentFields(deps.supergraph.sdl);
    this.#sharedExecution = deps.sharedExecution;
  }

  /** The `subscribe` of graphql-js, for a validated subscription operation of the public schema. */
  subscribe(args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> | ExecutionResult {
    const refusals = checkAccess(
      this.#access,
      {
        schema: this.#apiGraphQLSchema,
        document: args.document,
        operationName: args.operationName ?? undefined,
        variables: (args.variableValues ?? {}) as Record<string, unknown>,
      },
      (args.contextValue as GatewayContext).viewer,
    );
    if (refusals.length > 0) return { errors: refusals };
    let plan: SubscriptionPlan;
    try {
      plan = this.#plan(args.document, args.operationName ?? undefined);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError('Could not plan this subscription.')] };
    }
    const context = args.contextValue as GatewayContext;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const primaryVariables = Object.fromEntries(
      (plan.primary.variableUsages ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]),
    );
    const upstreamOperation = {
      query: plan.primary.operation,
      operationName: plan.primary.operationName,
      variables: primaryVariables,
      token: context.viewer?.token,
    };
    const shareKey = `${plan.id}\u0000${JSON.stringify(variables)}`;
    const resolve = (event: FormattedExecutionResult) => this.#resolveShared(plan, shareKey, event, args, variables);
    // Named like the gateway's own subgraph errors, so the error filter lets them through.
    const refused = (error: UpstreamRefusal): ExecutionResult => ({
      errors: error.errors.map(
        (e) =>
          new GraphQLError(e.message ?? 'Subscription refused.', {
            extensions: { ...e.extensions, serviceName: plan.primary.serviceName },
          }),
      ),
    });
    // Over a socket the results are pushed to the delivery on `args` (event-delivery.ts);
    // over SSE they are pulled.
    const delivery = deliveryOf(args);
    const upstreamLost = (error: unknown) => {
      this.#logger.warn({ err: error, subgraph: plan.primary.serviceName }, 'subscription lost its subgraph');
      delivery?.lost('Subgraph connection lost: reconnect and resume');
    };

    if (delivery !== undefined) {
      const stream = new DirectEventStream(delivery);
      stream.onReturn = this.#upstream.listen(plan.primary.serviceName, upstreamOperation, {
        push: (event) => stream.push(resolve(event)),
        end: (error) => {
          if (error instanceof UpstreamRefusal) {
            stream.end(refused(error));
            return;
          }
          if (error !== undefined) upstreamLost(error);
          stream.end();
        },
      });
      return stream;
    }
    // Pulled (SSE through Yoga): the same pushed events, through a bounded queue.
    const events = pulled<FormattedExecutionResult>(
      (listener) => this.#upstream.listen(plan.primary.serviceName, upstreamOperation, listener),
      PULLED_EVENT_BOUNDS,
    );
    return mapEvents(events, {
      map: (event) => resolve(event).promise,
      failed(error) {
        // The subgraph refused the operation (graphql-ws `error` message): pass its errors on.
        if (error instanceof UpstreamRefusal) return refused(error);
        upstreamLost(error);
        return undefined;
      },
    });
  }

  #plan(clientDocument: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    // Planned as rewritten, answered as the client wrote it (federation/requires-aliases.ts).
    const aliased = this.#requiresAliases(clientDocument, operationName);
    const document = aliased?.document ?? clientDocument;
    const prepared = this.#queryPlans.planFor(document, operationName);
    const cached = this.#plans.get(prepared);
    if (cached !== undefined) return cached;
    const queryPlan = prepared.plan;
    if (queryPlan.node?.kind !== 'Subscription') throw new GraphQLError('Not a subscription.');
    const { primary, rest } = queryPlan.node;
    const node: PlanNode = rest === undefined ? primary : { kind: 'Sequence', nodes: [primary, rest] };
    const plan: SubscriptionPlan = {
      id: this.#nextPlanId++,
      shareable:
        this.#sharedExecution && !selectsViewerDependentField(this.#apiGraphQLSchema, clientDocument, this.#viewerDependent),
      primary,
      source: print(document),
      prepared,
      restore: aliased === null ? (result) => result : (result) => aliased.restore(result),
      perEvent: { kind: 'QueryPlan', node },
      operationContext: buildOperationContext({
        schema: this.#apiGraphQLSchema,
        operationDocument: document,
        ...(operationName === undefined ? {} : { operationName }),
      }),
    };
    this.#plans.set(prepared, plan);
    return plan;
  }

  /**
   * Subscribers of one document and variables whose selection is viewer-independent get the
   * same result for the same event: the first one to receive it runs the plan, the others (in
   * the next moments) reuse the result. A 50-member group costs one entity fetch per message
   * instead of 50. Viewer-dependent selections always run per subscriber.
   *
   * An event that reached several operations in one merged frame is one object
   * (upstream-connection.ts), found by identity; otherwise by its JSON, computed once per
   * object.
   */
  #resolveShared(
    plan: SubscriptionPlan,
    shareKey: string,
    event: FormattedExecutionResult,
    args: ExecutionArgs,
    variables: Record<string, unknown>,
  ): PendingResult {
    const run = () => this.#resolveEvent(plan, event, args, variables);
    if (!plan.shareable || event.errors !== undefined) return new PendingResult(run());
    return this.#shared.resultOf(event, shareKey, run, () => JSON.stringify(event.data));
  }

  async #resolveEvent(
    plan: SubscriptionPlan,
    event: FormattedExecutionResult,
    args: ExecutionArgs,
    variables: Record<string, unknown>,
  ): Promise<ExecutionResult> {
    const { serviceName } = plan.primary;
    // A shared execution runs with its first subscriber's identity already, so its entity
    // fetches may join other events' (entity-fetch-batching.ts); a per-viewer one may not.
    const dataSources = plan.shareable ? this.#batchedDataSources : this.#dataSources;
    const real = dataSources[serviceName];
    if (real === undefined) throw new Error(`No data source for subgraph "${serviceName}"`);
    const answered = { ...dataSources, [serviceName]: answerOnceWith(event, real) };
    const serviceMap = serviceMapFor(plan.prepared, answered, this.#supergraphSchema);
    const requestContext = {
      request: { query: plan.source, variables, operationName: args.operationName ?? undefined },
      context: args.contextValue,
      document: args.document,
      operationName: args.operationName ?? null,
      metrics: {},
      logger: this.#logger,
    } as unknown as GatewayGraphQLRequestContext;
    try {
      const result = await executeQueryPlan(
        plan.perEvent,
        serviceMap,
        requestContext,
        plan.operationContext,
        this.#supergraphSchema,
        this.#apiSchema,
      );
      return plan.restore(withValueCompletionErrors(result) as ExecutionResult);
    } catch (error) {
      // A bug, not a subgraph failure (those come back as errors in the result). The client
      // gets this event as "Unexpected error." (masking) and the subscription goes on; the
      // message itself stays in PostgreSQL, readable by query.
      return { errors: [new GraphQLError('Could not resolve this event.', { originalError: error as Error })] };
    }
  }
}

/**
 * The primary fetch's data source for one event: its first call (the primary, which the plan
 * runs first) returns the event; later calls (entity fetches of `rest` that go back to the
 * same subgraph) go to the real subgraph.
 */
function answerOnceWith(event: FormattedExecutionResult, real: GraphQLDataSource): GraphQLDataSource {
  let answered = false;
  return {
    process(options) {
      if (answered) return real.process(options);
      answered = true;
      return Promise.resolve(event as GatewayGraphQLResponse);
    },
  };
}
