import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/**
 * Counts the SQL statements one Kysely instance executes. Each subgraph has its own, so tests
 * can prove batching ("20 users with their counts cost 2 statements") and metrics can report it.
 */
export class QueryStats implements KyselyPlugin {
  #statements = 0;

  get statements(): number {
    return this.#statements;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.#statements += 1;
    return args.result;
  }
}
