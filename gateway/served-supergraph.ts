import { createHash } from 'node:crypto';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../lib/kernel/logger.js';
import { viewerDependentFields } from '../lib/kernel/viewer-dependence.js';
import { OperationExecutor } from './federation/operation-executor.js';
import { QueryPlans } from './federation/query-plans.js';
import { type LoadedSupergraph, loadSupergraph, SupergraphLoadError } from './federation/supergraph.js';
import { resumableFieldsOf } from './resumable-subscriptions.js';
import type { SubgraphDataSource } from './subgraph-data-source.js';

/**
 * One supergraph as the gateway serves it, with everything planned and executed over it. A
 * reload makes a new generation; requests and subscriptions that started on an older one
 * finish on it (they were validated against its schema).
 */
export interface SupergraphGeneration {
  /** 1 for the supergraph the gateway started with, then one more per reload. */
  readonly number: number;
  /** The first 16 hex digits of the SDL's sha256: what operators compare across instances. */
  readonly hash: string;
  readonly loaded: LoadedSupergraph;
  readonly plans: QueryPlans;
  readonly executor: OperationExecutor;
  /** A data source per subgraph, at the URL it is routed to now. */
  readonly dataSources: Readonly<Record<string, SubgraphDataSource>>;
  /** Where each subgraph is reached (the configured URL, else the supergraph's routing URL). */
  readonly subgraphUrls: Readonly<Record<string, string>>;
  /** `Type.field` of every field tagged viewer-dependent. */
  readonly viewerDependent: ReadonlySet<string>;
  /** `Subscription.<field>` → its resume argument (resumable-subscriptions.ts). */
  readonly resumable: ReadonlyMap<string, string>;
}

/** Wraps a generation's data sources for the queries and mutations it executes (not subscriptions or account checks). */
export type ExecutionDataSources = (
  dataSources: Readonly<Record<string, SubgraphDataSource>>,
  generation: { readonly loaded: LoadedSupergraph; readonly hash: string; readonly viewerDependent: ReadonlySet<string> },
) => Readonly<Record<string, GraphQLDataSource>>;

type ReplacedListener = (next: SupergraphGeneration, previous: SupergraphGeneration) => void;

/**
 * The supergraph the gateway serves now, and the ones requests in flight still run on. Data
 * sources are kept per subgraph and URL across generations: a reload that leaves a subgraph's
 * URL alone keeps its pool of connections.
 */
export class ServedSupergraph {
  readonly #subgraphUrls: Readonly<Record<string, string | undefined>>;
  readonly #makeDataSource: (name: string, url: string) => SubgraphDataSource;
  readonly #forExecution: ExecutionDataSources | undefined;
  readonly #apolloLogger: ConstructorParameters<typeof OperationExecutor>[0]['logger'];
  readonly #logger: Logger;
  readonly #dataSources = new Map<string, SubgraphDataSource>();
  readonly #bySchema = new WeakMap<GraphQLSchema, SupergraphGeneration>();
  readonly #listeners: ReplacedListener[] = [];
  #current: SupergraphGeneration;

  constructor(deps: {
    sdl: string;
    /** Configured URLs, over the supergraph's routing URLs. */
    subgraphUrls: Readonly<Record<string, string | undefined>>;
    makeDataSource: (name: string, url: string) => SubgraphDataSource;
    /** The data sources queries and mutations run with, over the generation's own (the entity cache); these when absent. */
    forExecution?: ExecutionDataSources;
    apolloLogger: ConstructorParameters<typeof OperationExecutor>[0]['logger'];
    logger: Logger;
  }) {
    this.#subgraphUrls = deps.subgraphUrls;
    this.#makeDataSource = deps.makeDataSource;
    this.#forExecution = deps.forExecution;
    this.#apolloLogger = deps.apolloLogger;
    this.#logger = deps.logger;
    this.#current = this.#build(deps.sdl, 1);
  }

  get current(): SupergraphGeneration {
    return this.#current;
  }

  /** The generation whose public schema is `schema` (the one a request was validated against); the current one otherwise. */
  ofSchema(schema: GraphQLSchema | undefined): SupergraphGeneration {
    return (schema === undefined ? undefined : this.#bySchema.get(schema)) ?? this.#current;
  }

  /** Called after each replacement, in registration order. */
  onReplaced(listener: ReplacedListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Serves `sdl` from now on. False when it is the supergraph served already; throws
   * SupergraphLoadError, keeping the current one, when it cannot be served.
   */
  replace(sdl: string): boolean {
    if (sdl === this.#current.loaded.sdl) return false;
    const next = this.#build(sdl, this.#current.number + 1);
    const previous = this.#current;
    this.#current = next;
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch (error) {
        this.#logger.error({ err: error }, 'a supergraph reload listener failed');
      }
    }
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#dataSources.values()].map((source) => source.close()));
    this.#dataSources.clear();
  }

  #build(sdl: string, number: number): SupergraphGeneration {
    const loaded = loadSupergraph(sdl);
    const subgraphUrls: Record<string, string> = {};
    for (const { name, url } of loaded.subgraphs) {
      const target = this.#subgraphUrls[name] ?? url;
      if (target === undefined || target === '') throw new SupergraphLoadError(`No URL for subgraph "${name}"`);
      subgraphUrls[name] = target;
    }
    const dataSources: Record<string, SubgraphDataSource> = {};
    for (const [name, url] of Object.entries(subgraphUrls)) {
      const key = `${name}\u0000${url}`;
      let source = this.#dataSources.get(key);
      if (source === undefined) {
        source = this.#makeDataSource(name, url);
        this.#dataSources.set(key, source);
      }
      dataSources[name] = source;
    }
    const plans = new QueryPlans(loaded);
    const hash = createHash('sha256').update(sdl).digest('hex').slice(0, 16);
    const viewerDependent = viewerDependentFields(sdl);
    const executed = this.#forExecution?.(dataSources, { loaded, hash, viewerDependent }) ?? dataSources;
    const generation: SupergraphGeneration = {
      number,
      hash,
      loaded,
      plans,
      executor: new OperationExecutor({ loaded, plans, dataSources: executed, logger: this.#apolloLogger }),
      dataSources,
      subgraphUrls,
      viewerDependent,
      resumable: resumableFieldsOf(sdl),
    };
    this.#bySchema.set(loaded.apiGraphQLSchema, generation);
    return generation;
  }
}
