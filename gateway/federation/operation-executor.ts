import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { type DocumentNode, type ExecutionResult, GraphQLError, getVariableValues } from 'graphql';
import { withValueCompletionErrors } from '../value-completion.js';
import { type AccessViewer, checkAccess } from './access-requirements.js';
import { type QueryPlans, serviceMapFor } from './query-plans.js';
import type { LoadedSupergraph } from './supergraph.js';

/** One query or mutation to execute over the supergraph, already parsed and validated against its API schema. */
export interface FederatedOperation {
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown>;
  /** The operation's context, handed to every data source. */
  readonly context: Record<string, unknown>;
  /** Who asks: `@authenticated` and `@requiresScopes` are checked against it. */
  readonly viewer: AccessViewer | null;
}

const NO_CACHE: GatewayGraphQLRequestContext['cache'] = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
};

/**
 * Executes queries and mutations as @apollo/gateway's own executor does (variables checked, a
 * cached plan, Apollo's executeQueryPlan), but with the planning in our hands: progressive
 * override labels rolled per operation, entities sent with the key they have, contextual
 * arguments passed (query-plans.ts), and `@authenticated` / `@requiresScopes` enforced before
 * any subgraph is asked (access-requirements.ts), client fields the planner would merge with its
 * own planned under aliases (requires-aliases.ts).
 */
export class OperationExecutor {
  readonly #loaded: LoadedSupergraph;
  readonly #plans: QueryPlans;
  readonly #dataSources: Readonly<Record<string, GraphQLDataSource>>;
  readonly #logger: GatewayGraphQLRequestContext['logger'];

  constructor(deps: {
    loaded: LoadedSupergraph;
    plans: QueryPlans;
    dataSources: Readonly<Record<string, GraphQLDataSource>>;
    logger: GatewayGraphQLRequestContext['logger'];
  }) {
    this.#loaded = deps.loaded;
    this.#plans = deps.plans;
    this.#dataSources = deps.dataSources;
    this.#logger = deps.logger;
  }

  async execute(request: FederatedOperation): Promise<ExecutionResult> {
    const { operationName, variables } = request;
    const refusals = checkAccess(
      this.#loaded.access,
      { schema: this.#loaded.apiGraphQLSchema, document: request.document, operationName, variables },
      request.viewer,
    );
    if (refusals.length > 0) return { errors: refusals.map(withHttpStatus) };
    // Planned as rewritten, answered as the client wrote it.
    const aliased = this.#loaded.requiresAliases(request.document, operationName);
    const document = aliased?.document ?? request.document;
    const operationContext = buildOperationContext({
      schema: this.#loaded.apiGraphQLSchema,
      operationDocument: document,
      ...(operationName === undefined ? {} : { operationName }),
    });
    const definitions = operationContext.operation.variableDefinitions ?? [];
    if (definitions.length > 0) {
      const { errors } = getVariableValues(this.#loaded.apiGraphQLSchema, definitions, variables);
      if (errors !== undefined) return { errors };
    }
    const prepared = this.#plans.planFor(document, operationName);
    const text = this.#plans.textOf(document);
    const requestContext: GatewayGraphQLRequestContext = {
      document,
      request: { query: text, ...(operationName === undefined ? {} : { operationName }), variables },
      operationName: operationName ?? null,
      operation: operationContext.operation,
      context: request.context,
      queryHash: text,
      source: text,
      schema: this.#loaded.apiGraphQLSchema,
      schemaHash: '' as GatewayGraphQLRequestContext['schemaHash'],
      logger: this.#logger,
      metrics: {},
      // Neither is read by the executor: Apollo Server's response cache and cache hints.
      cache: NO_CACHE,
      overallCachePolicy: undefined,
    };
    const serviceMap = serviceMapFor(prepared, this.#dataSources, this.#loaded.supergraphSchema);
    const result = withValueCompletionErrors(
      await executeQueryPlan(
        prepared.plan,
        serviceMap as Record<string, GraphQLDataSource>,
        requestContext,
        operationContext,
        this.#loaded.supergraphSchema,
        this.#loaded.apiSchema,
      ),
    ) as ExecutionResult;
    return aliased === null ? result : aliased.restore(result);
  }
}

/** A refusal of the whole operation answers 401 when sign-in is missing, as every UNAUTHENTICATED does (lib/kernel/errors.ts). */
function withHttpStatus(error: GraphQLError): GraphQLError {
  if (error.extensions.code !== 'UNAUTHENTICATED') return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    path: error.path,
    extensions: { ...error.extensions, http: { status: 401 } },
  });
}
