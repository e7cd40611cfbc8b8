import {
  DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES,
  ROUTER_SUPPORTED_SUPERGRAPH_FEATURES,
  type Schema,
  Supergraph,
} from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { type AccessRequirements, accessRequirementsOf } from './access-requirements.js';
import { plannerAddedFieldsOf } from './planner-added-fields.js';
import { makeRequiresAliaser, type RequiresAliaser } from './requires-aliases.js';

/**
 * Linked specs this gateway implements beyond stock @apollo/gateway's, which refuses any
 * supergraph linking a `for: SECURITY` or `for: EXECUTION` spec it does not know (a gateway that
 * ignored `@authenticated` would serve what it protects). `@policy` and connectors stay refused.
 */
const GATEWAY_FEATURES = [
  'https://specs.apollo.dev/authenticated/v0.1',
  'https://specs.apollo.dev/requiresScopes/v0.1',
  'https://specs.apollo.dev/context/v0.1',
];

export const SUPPORTED_SUPERGRAPH_FEATURES: ReadonlySet<string> = new Set([
  ...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES,
  ...GATEWAY_FEATURES.filter((feature) => ROUTER_SUPPORTED_SUPERGRAPH_FEATURES.has(feature)),
]);

/** A subgraph as the supergraph names it (`join__Graph`), with the URL it carries. */
export interface SupergraphSubgraph {
  readonly name: string;
  readonly url: string;
}

/** A supergraph read once for everything that plans or executes over it. */
export interface LoadedSupergraph {
  readonly sdl: string;
  readonly supergraph: Supergraph;
  /** The public schema, as @apollo/federation-internals and the executor read it. */
  readonly apiSchema: Schema;
  /** The public schema served to clients. */
  readonly apiGraphQLSchema: GraphQLSchema;
  /** The supergraph with its join directives: the executor reads entity types off it. */
  readonly supergraphSchema: GraphQLSchema;
  readonly planner: QueryPlanner;
  readonly subgraphs: readonly SupergraphSubgraph[];
  /** Its `@authenticated` and `@requiresScopes`, checked before any operation runs. */
  readonly access: AccessRequirements;
  /**
   * Client fields the planner would merge with what it adds (keys, `@requires`), planned under
   * aliases (requires-aliases.ts).
   */
  readonly requiresAliases: RequiresAliaser;
}

/** Thrown when a supergraph cannot be served: unknown linked specs, or an invalid supergraph. */
export class SupergraphLoadError extends Error {
  override readonly name = 'SupergraphLoadError';
}

/**
 * Reads `sdl`, refusing what this gateway cannot honour. Validation runs as @apollo/gateway runs
 * it outside production: a supergraph is checked once, where it is loaded.
 */
export function loadSupergraph(sdl: string): LoadedSupergraph {
  let supergraph: Supergraph;
  let access: AccessRequirements;
  try {
    supergraph = Supergraph.build(sdl, { supportedFeatures: new Set(SUPPORTED_SUPERGRAPH_FEATURES), validateSupergraph: true });
    access = accessRequirementsOf(supergraph);
  } catch (error) {
    throw new SupergraphLoadError(`The supergraph cannot be served: ${(error as Error).message}`, { cause: error });
  }
  const apiSchema = supergraph.apiSchema();
  return {
    sdl,
    supergraph,
    apiSchema,
    apiGraphQLSchema: apiSchema.toGraphQLJSSchema(),
    supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
    planner: new QueryPlanner(supergraph),
    subgraphs: supergraph.subgraphsMetadata().map(({ name, url }) => ({ name, url })),
    access,
    requiresAliases: makeRequiresAliaser(plannerAddedFieldsOf(sdl)),
  };
}
