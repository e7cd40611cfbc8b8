import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';
import type { ServedSupergraph } from '../served-supergraph.js';

/**
 * Yoga's schema and its `execute` for queries and mutations: the operation executor of the
 * supergraph served (federation/operation-executor.ts), on the document it is *called with*, so
 * a plugin that wraps the executor sees the same document executed (@envelop/apollo-federation
 * plans the document the request parsed instead).
 *
 * A reloaded supergraph replaces the schema for the requests that start after it; one already
 * validated executes on the supergraph it was validated against.
 */
export function useFederationExecutor(served: ServedSupergraph): Plugin {
  return {
    onPluginInit({ setSchema }) {
      setSchema(served.current.loaded.apiGraphQLSchema);
      served.onReplaced((next) => setSchema(next.loaded.apiGraphQLSchema));
    },
    onExecute({ setExecuteFn }) {
      setExecuteFn((args) => {
        const operationName = args.operationName ?? undefined;
        if (getOperationAST(args.document, operationName) === null)
          throw new Error(`Operation ${operationName ?? ''} not found in the document`);
        return served.ofSchema(args.schema).executor.execute({
          document: args.document,
          operationName,
          variables: (args.variableValues ?? {}) as Record<string, unknown>,
          context: args.contextValue as Record<string, unknown>,
          viewer: (args.contextValue as GatewayContext).viewer,
        });
      });
    },
  };
}
