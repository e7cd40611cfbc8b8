import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { OperationContext } from '@apollo/gateway/dist/operationContext.js';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
  getVariableValues,
  print,
  validate,
} from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import type { Logger } from '../lib/kernel/logger.js';
import { selectsViewerDependentField } from '../lib/kernel/viewer-dependence.js';
import { AsyncQueue } from '../lib/realtime/async-queue.js';
import { DirectEventStream } from '../lib/realtime/direct-event-stream.js';
import { deliveryOf } from '../lib/realtime/event-delivery.js';
import { mapEvents } from '../lib/realtime/map-events.js';
import { PendingResult } from '../lib/realtime/pending-result.js';
import { SharedExecutions } from '../lib/realtime/shared-executions.js';
import type { GatewayContext } from './context.js';
import { batchEntityFetches } from './entity-fetch-batching.js';
import { checkAccess } from './federation/access-requirements.js';
import { type PreparedPlan, serviceMapFor } from './federation/query-plans.js';
import {
  initialResumePosition,
  RESUME_VARIABLE,
  type ResumableOperation,
  resumableOperation,
  resumePositionOf,
} from './resumable-subscriptions.js';
import { type ResumePolicy, ResumingUpstream } from './resuming-upstream.js';
import type { ServedSupergraph, SupergraphGeneration } from './served-supergraph.js';
import { PULLED_EVENT_BOUNDS, UpstreamRefusal } from './upstream-connection.js';
import type { UpstreamOperation, UpstreamSubscriptions } from './upstream-subscriptions.js';
import { withValueCompletionErrors } from './value-completion.js';

/** A planned subscription: `primary` goes to the owning subgraph once, `rest` runs per event. */
interface SubscriptionPlan {
  /** The supergraph it was planned on: each event runs with that generation's schema and subgraphs. */
  readonly generation: SupergraphGeneration;
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
  /** `primary` as sent to the subgraph, rewritten to resume from an event where its field can (resumable-subscriptions.ts). */
  readonly upstream: {
    readonly query: string;
    readonly variableNames: readonly string[];
    readonly resumable: ResumableOperation | null;
  };
}

/** What a subscription's results are written to: the client's socket, or a queue pulled over SSE. */
interface ResultSink {
  push(result: PendingResult): void;
  /** After the results already pushed, `final` (if any), then done. */
  end(final?: ExecutionResult): void;
}

/** A subscription being served: what a reload checks and, when still valid, re-plans. */
interface LiveSubscription {
  plan: SubscriptionPlan;
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown>;
  readonly viewer: GatewayContext['viewer'];
  readonly sink: ResultSink;
  readonly upstream: { stop(): void };
}

/** What a reload did to each subscription open at the time. */
export type ReloadOutcome = 'replanned' | 'kept' | 'ended';

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
 *
 * A subscription outlives the things under it:
 * - a lost subgraph connection: it subscribes again from its last event where its field can
 *   resume (resuming-upstream.ts), so the subscriber notices nothing;
 * - a supergraph reload (`reloaded`): still valid against the new schema, it keeps its upstream
 *   and runs its events on the new plan (or on its own plan, when the new one would subscribe
 *   upstream differently); no longer valid, it ends with GRAPHQL_VALIDATION_FAILED.
 */
export class FederatedSubscriptions {
  readonly #served: ServedSupergraph;
  /** By the query plan they were made of (query-plans.ts keeps one per operation text and override choice). */
  readonly #plans = new WeakMap<PreparedPlan, SubscriptionPlan>();
  /** Per generation, its subgraphs with entity fetches batched across events, for shared executions. */
  readonly #batchedDataSources = new WeakMap<SupergraphGeneration, Readonly<Record<string, GraphQLDataSource>>>();
  readonly #upstream: UpstreamSubscriptions;
  readonly #logger: Logger;
  readonly #sharedExecution: boolean;
  readonly #onResume: (subgraph: string, outcome: 'resubscribed' | 'gave_up') => void;
  readonly #resumePolicy: ResumePolicy | undefined;
  /** Results of events shared by the subscribers of one plan and variables (lib/realtime/shared-executions.ts). */
  readonly #shared = new SharedExecutions();
  readonly #live = new Set<LiveSubscription>();
  #nextPlanId = 1;

  constructor(deps: {
    served: ServedSupergraph;
    upstream: UpstreamSubscriptions;
    logger: Logger;
    /** Share one execution per event among subscribers of viewer-independent selections. */
    sharedExecution: boolean;
    /** Told of each resubscription after a lost subgraph connection, and of each given up. */
    onResume?: (subgraph: string, outcome: 'resubscribed' | 'gave_up') => void;
    resumePolicy?: ResumePolicy;
  }) {
    this.#served = deps.served;
    this.#upstream = deps.upstream;
    this.#logger = deps.logger;
    this.#sharedExecution = deps.sharedExecution;
    this.#onResume = deps.onResume ?? (() => undefined);
    this.#resumePolicy = deps.resumePolicy;
  }

  /** The `subscribe` of graphql-js, for a validated subscription operation of the public schema. */
  subscribe(args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> | ExecutionResult {
    const generation = this.#served.ofSchema(args.schema);
    const operationName = args.operationName ?? undefined;
    const context = args.contextValue as GatewayContext;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const refusals = checkAccess(
      generation.loaded.access,
      { schema: generation.loaded.apiGraphQLSchema, document: args.document, operationName, variables },
      context.viewer,
    );
    if (refusals.length > 0) return { errors: refusals };
    let plan: SubscriptionPlan;
    try {
      plan = this.#plan(generation, args.document, operationName);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError('Could not plan this subscription.')] };
    }
    // Over a socket the results are pushed to the delivery on `args` (event-delivery.ts);
    // over SSE they are pulled.
    const delivery = deliveryOf(args);
    let live: LiveSubscription | undefined;
    const stop = () => {
      if (live === undefined || !this.#live.delete(live)) return;
      live.upstream.stop();
    };
    const { sink, results } = delivery === undefined ? this.#pulledSink(stop) : directSink(delivery, stop);
    const upstreamLost = (error: unknown) => {
      this.#logger.warn({ err: error, subgraph: plan.primary.serviceName }, 'subscription lost its subgraph');
      delivery?.lost('Subgraph connection lost: reconnect and resume');
    };
    const subscription: LiveSubscription = {
      plan,
      document: args.document,
      operationName,
      variables,
      viewer: context.viewer,
      sink,
      upstream: { stop: () => upstream.stop() },
    };
    live = subscription;
    this.#live.add(subscription);
    const shareKey = `\u0000${JSON.stringify(variables)}`;
    const { resumable } = plan.upstream;
    const upstream = new ResumingUpstream({
      open: (position, listener) => {
        // The plan now: a reload may have moved the subscription to a new one with the same upstream.
        const current = subscription.plan;
        const subgraph = current.primary.serviceName;
        const url = current.generation.subgraphUrls[subgraph];
        if (url === undefined) throw new Error(`No URL for subgraph "${subgraph}"`);
        return this.#upstream.listen(subgraph, url, upstreamOperation(current, variables, context, position), listener);
      },
      positionOf: resumable === null ? undefined : (event) => resumePositionOf(resumable, event),
      initialPosition: resumable === null ? null : initialResumePosition(resumable, variables),
      downstream: {
        push: (event) => {
          const current = subscription.plan;
          sink.push(this.#resolveShared(current, `${current.id}${shareKey}`, event, args, variables));
        },
        end: (error) => {
          this.#live.delete(subscription);
          // The subgraph refused the operation (graphql-ws `error` message): pass its errors on.
          if (error instanceof UpstreamRefusal) {
            sink.end(refused(error, subscription.plan.primary.serviceName));
            return;
          }
          if (error !== undefined) upstreamLost(error);
          sink.end();
        },
      },
      mayResume: () => !this.#upstream.closing,
      onResume: (outcome) => this.#onResume(subscription.plan.primary.serviceName, outcome),
      ...(this.#resumePolicy === undefined ? {} : { policy: this.#resumePolicy }),
    });
    return results;
  }

  /**
   * The supergraph was replaced: each open subscription still valid against `next` keeps its
   * upstream and, when `next` plans it with the same primary fetch, runs its events on the new
   * plan; one no longer valid (a field removed, a type changed, an access rule it fails) ends
   * with a clear error. Returns how many had each outcome.
   */
  reloaded(next: SupergraphGeneration): Record<ReloadOutcome, number> {
    const outcomes: Record<ReloadOutcome, number> = { replanned: 0, kept: 0, ended: 0 };
    for (const subscription of [...this.#live]) {
      const outcome = this.#reload(subscription, next);
      outcomes[outcome] += 1;
    }
    return outcomes;
  }

  #reload(subscription: LiveSubscription, next: SupergraphGeneration): ReloadOutcome {
    const schema = next.loaded.apiGraphQLSchema;
    const invalid = validate(schema, subscription.document);
    const operation = getOperationAST(subscription.document, subscription.operationName);
    const variableErrors =
      invalid.length > 0 || operation == null
        ? []
        : (getVariableValues(schema, operation.variableDefinitions ?? [], subscription.variables).errors ?? []);
    const problems = [...invalid, ...variableErrors];
    if (problems.length > 0 || operation == null) {
      const reason = problems[0]?.message ?? 'its operation is gone';
      this.#end(
        subscription,
        new GraphQLError(`This subscription is no longer valid after a schema update (${reason}) Subscribe again.`, {
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }),
      );
      return 'ended';
    }
    const refusals = checkAccess(
      next.loaded.access,
      { schema, document: subscription.document, operationName: subscription.operationName, variables: subscription.variables },
      subscription.viewer,
    );
    if (refusals.length > 0) {
      this.#end(subscription, refusals[0] as GraphQLError);
      return 'ended';
    }
    let plan: SubscriptionPlan;
    try {
      plan = this.#plan(next, subscription.document, subscription.operationName);
    } catch (error) {
      this.#logger.warn({ err: error }, 'a subscription could not be planned on the new supergraph; it keeps its plan');
      return 'kept';
    }
    const current = subscription.plan;
    // A subgraph that moved to another URL counts as the same: the open operation stays on the
    // old socket, and a resubscription after its loss goes to the new URL.
    const sameUpstream =
      plan.primary.serviceName === current.primary.serviceName && plan.upstream.query === current.upstream.query;
    if (!sameUpstream) return 'kept';
    subscription.plan = plan;
    return 'replanned';
  }

  #end(subscription: LiveSubscription, error: GraphQLError): void {
    if (!this.#live.delete(subscription)) return;
    subscription.upstream.stop();
    subscription.sink.end({ errors: [error] });
  }

  /** Results pulled by Yoga (SSE): resolved as they arrive, queued in order, bounded like the socket path. */
  #pulledSink(stop: () => void): { sink: ResultSink; results: AsyncIterableIterator<ExecutionResult> } {
    const queue = new AsyncQueue<PendingResult | ExecutionResult>({ ...PULLED_EVENT_BOUNDS, onEnd: stop });
    const results = mapEvents(queue, {
      map: (item) => (item instanceof PendingResult ? item.promise : item),
      failed: (error) => {
        this.#logger.warn({ err: error }, 'a pulled subscription fell behind and was ended');
        return undefined;
      },
    });
    return {
      results,
      sink: {
        push: (result) => queue.push(result),
        end(final) {
          if (final !== undefined) queue.push(final);
          queue.end();
        },
      },
    };
  }

  #plan(generation: SupergraphGeneration, clientDocument: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    // Planned as rewritten, answered as the client wrote it (federation/requires-aliases.ts).
    const aliased = generation.loaded.requiresAliases(clientDocument, operationName);
    const document = aliased?.document ?? clientDocument;
    const prepared = generation.plans.planFor(document, operationName);
    const cached = this.#plans.get(prepared);
    if (cached !== undefined) return cached;
    const queryPlan = prepared.plan;
    if (queryPlan.node?.kind !== 'Subscription') throw new GraphQLError('Not a subscription.');
    const { primary, rest } = queryPlan.node;
    const node: PlanNode = rest === undefined ? primary : { kind: 'Sequence', nodes: [primary, rest] };
    const resumable = resumableOperation(primary.operation, generation.resumable);
    const plan: SubscriptionPlan = {
      generation,
      id: this.#nextPlanId++,
      shareable:
        this.#sharedExecution &&
        !selectsViewerDependentField(generation.loaded.apiGraphQLSchema, clientDocument, generation.viewerDependent),
      primary,
      source: print(document),
      prepared,
      restore: aliased === null ? (result) => result : (result) => aliased.restore(result),
      perEvent: { kind: 'QueryPlan', node },
      operationContext: buildOperationContext({
        schema: generation.loaded.apiGraphQLSchema,
        operationDocument: document,
        ...(operationName === undefined ? {} : { operationName }),
      }),
      upstream:
        resumable === null
          ? { query: primary.operation, variableNames: primary.variableUsages ?? [], resumable: null }
          : { query: resumable.query, variableNames: resumable.variableNames, resumable },
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
    const { generation } = plan;
    // A shared execution runs with its first subscriber's identity already, so its entity
    // fetches may join other events' (entity-fetch-batching.ts); a per-viewer one may not.
    const dataSources = plan.shareable ? this.#batchedOf(generation) : generation.dataSources;
    const real = dataSources[serviceName];
    if (real === undefined) throw new Error(`No data source for subgraph "${serviceName}"`);
    const answered = { ...dataSources, [serviceName]: answerOnceWith(event, real) };
    const serviceMap = serviceMapFor(plan.prepared, answered, generation.loaded.supergraphSchema);
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
        generation.loaded.supergraphSchema,
        generation.loaded.apiSchema,
      );
      return plan.restore(withValueCompletionErrors(result) as ExecutionResult);
    } catch (error) {
      // A bug, not a subgraph failure (those come back as errors in the result). The client
      // gets this event as "Unexpected error." (masking) and the subscription goes on; the
      // message itself stays in PostgreSQL, readable by query.
      return { errors: [new GraphQLError('Could not resolve this event.', { originalError: error as Error })] };
    }
  }

  #batchedOf(generation: SupergraphGeneration): Readonly<Record<string, GraphQLDataSource>> {
    let batched = this.#batchedDataSources.get(generation);
    if (batched === undefined) {
      batched = Object.fromEntries(
        Object.entries(generation.dataSources).map(([name, source]) => [name, batchEntityFetches(source)]),
      );
      this.#batchedDataSources.set(generation, batched);
    }
    return batched;
  }
}

/** Results written straight to the client's socket (direct-event-stream.ts). */
function directSink(
  delivery: NonNullable<ReturnType<typeof deliveryOf>>,
  stop: () => void,
): { sink: ResultSink; results: AsyncIterableIterator<ExecutionResult> } {
  const stream = new DirectEventStream(delivery);
  stream.onReturn = stop;
  return { results: stream, sink: { push: (result) => stream.push(result), end: (final) => stream.end(final) } };
}

/** The subgraph's refusal, named like the gateway's own subgraph errors so the error filter lets it through. */
function refused(error: UpstreamRefusal, serviceName: string): ExecutionResult {
  return {
    errors: error.errors.map(
      (e) => new GraphQLError(e.message ?? 'Subscription refused.', { extensions: { ...e.extensions, serviceName } }),
    ),
  };
}

/** The operation sent upstream for `plan`, from `position` when it resumes (null: where the client asked). */
function upstreamOperation(
  plan: SubscriptionPlan,
  variables: Record<string, unknown>,
  context: GatewayContext,
  position: string | null,
): UpstreamOperation {
  const { resumable, variableNames } = plan.upstream;
  const sent: Record<string, unknown> = {};
  for (const name of variableNames) if (name in variables) sent[name] = variables[name];
  if (resumable !== null) sent[RESUME_VARIABLE] = position ?? initialResumePosition(resumable, variables);
  return {
    query: plan.upstream.query,
    operationName: plan.primary.operationName,
    variables: sent,
    token: context.viewer?.token,
  };
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
