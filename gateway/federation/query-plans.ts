import { operationFromDocument } from '@apollo/federation-internals';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { FetchDataKeyRenamer, QueryPlan } from '@apollo/query-planner';
import { getDocumentString } from '@envelop/core';
import type { GraphQLSchema } from 'graphql';
import { type DocumentNode, print } from 'graphql';
import { LRUCache } from 'lru-cache';
import { type AlternativeKeyFetches, amendForAlternativeKeys, choosingKeys } from './alternative-keys.js';
import { contextualFetchesOf, withContextualArguments } from './contextual-arguments.js';
import { type ProgressiveOverride, progressiveOverrideOf } from './progressive-override.js';
import type { LoadedSupergraph } from './supergraph.js';

/** A plan and what executing it needs to know about it. */
export interface PreparedPlan {
  readonly plan: QueryPlan;
  /** Its fetches with contextual arguments (contextual-arguments.ts), null when it has none. */
  readonly contextualFetches: ReadonlyMap<string, readonly FetchDataKeyRenamer[]> | null;
  /** Its entity fetches amended to choose among several keys (alternative-keys.ts), null when none is. */
  readonly alternativeKeyFetches: AlternativeKeyFetches | null;
}

/** The data sources one execution of `prepared` runs with: as given, unless its fetches need adjusting. */
export function serviceMapFor(
  prepared: PreparedPlan,
  dataSources: Readonly<Record<string, GraphQLDataSource>>,
  supergraphSchema: GraphQLSchema,
): Readonly<Record<string, GraphQLDataSource>> {
  let serviceMap = dataSources;
  if (prepared.alternativeKeyFetches !== null) serviceMap = choosingKeys(serviceMap, prepared.alternativeKeyFetches);
  if (prepared.contextualFetches !== null)
    serviceMap = withContextualArguments(serviceMap, prepared.contextualFetches, supergraphSchema);
  return serviceMap;
}

/** Plans kept: one per operation text and override choice. */
const PLANS_KEPT = 2000;

/**
 * Query plans for one supergraph, cached by operation text and by which progressive-override
 * labels are on: an operation is planned once per choice, not once per request.
 */
export class QueryPlans {
  readonly #loaded: LoadedSupergraph;
  readonly #override: ProgressiveOverride;
  readonly #plans = new LRUCache<string, PreparedPlan>({ max: PLANS_KEPT });
  /** Printed documents: the cache is keyed by the text, and a document is printed once. */
  readonly #texts = new WeakMap<DocumentNode, string>();

  constructor(loaded: LoadedSupergraph, options: { random?: () => number } = {}) {
    this.#loaded = loaded;
    this.#override = progressiveOverrideOf(loaded.supergraph, options.random);
  }

  /** The text `document` is planned (and cached) under. */
  textOf(document: DocumentNode): string {
    let text = this.#texts.get(document);
    if (text === undefined) {
      text = getDocumentString(document, print);
      this.#texts.set(document, text);
    }
    return text;
  }

  /** The plan of `operationName` in `document` for one operation, its override labels rolled now. Throws when it cannot be planned. */
  planFor(document: DocumentNode, operationName: string | undefined): PreparedPlan {
    const choice = this.#override.roll();
    const key = `${choice.key}\u0000${operationName ?? ''}\u0000${this.textOf(document)}`;
    let prepared = this.#plans.get(key);
    if (prepared === undefined) {
      const operation = operationFromDocument(this.#loaded.apiSchema, document, { operationName });
      const plan = this.#loaded.planner.buildQueryPlan(operation, { overrideConditions: new Map(choice.conditions) });
      // Amended first: it may change fetch operations, which contextual fetches are keyed by.
      const alternativeKeyFetches = amendForAlternativeKeys(plan, this.#loaded.supergraph);
      prepared = { plan, alternativeKeyFetches, contextualFetches: contextualFetchesOf(plan) };
      this.#plans.set(key, prepared);
    }
    return prepared;
  }
}
