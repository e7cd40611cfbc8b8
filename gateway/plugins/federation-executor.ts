import { type GraphQLSchema, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';
import type { OperationExecutor } from '../federation/operation-executor.js';

/**
 * Yoga's `execute` for queries and mutations: the operation executor over the supergraph
 * (federation/operation-executor.ts), on the document it is *called with*, so a plugin that
 * wraps the executor sees the same document executed (@envelop/apollo-federation plans the
 * document the request parsed instead).
 */
export function useFederationExecutor(executor: OperationExecutor, schema: GraphQLSchema): Plugin {
  return {
    onPluginInit({ setSchema }) {
      setSchema(schema);
    },
    onExecute({ setExecuteFn }) {
      setExecuteFn((args) => {
        const operationName = args.operationName ?? undefined;
        if (getOperationAST(args.document, operationName) === null)
          throw new Error(`Operation ${operationName ?? ''} not found in the document`);
        return executor.execute({
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
