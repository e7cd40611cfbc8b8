import type {
  CompiledQuery,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/**
 * Counts the SQL statements one Kysely instance executes. Each subgraph has its own, so tests
 * can prove batching ("20 users with their counts cost 2 statements"), and recognises them
 * among all of the shared database's statements, so metrics can time them per subgraph.
 */
export class QueryStats implements KyselyPlugin {
  #statements = 0;
  /** Ids of the queries built through this instance (a compiled query carries its id). */
  readonly #ids = new WeakSet<QueryId>();

  get statements(): number {
    return this.#statements;
  }

  /** Whether `query` (as Database.onQuery reports it) was built through this instance. */
  owns(query: CompiledQuery): boolean {
    return this.#ids.has(query.queryId);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.#ids.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.#statements += 1;
    return args.result;
  }
}
