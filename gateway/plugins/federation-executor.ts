import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { getDocumentString } from '@envelop/core';
import { type DocumentNode, getOperationAST, print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { plannerAddedFieldsOf } from '../federation/planner-added-fields.js';
import { makeRequiresAliaser, type RequiresAliaser } from '../federation/requires-aliases.js';
import { withValueCompletionErrors } from '../value-completion.js';

const NO_CACHE: GatewayGraphQLRequestContext['cache'] = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
};

/**
 * Executes operations with Apollo's query planner: the gateway's schema and executor in
 * Yoga's envelop. It does what @envelop/apollo-federation does with one difference that
 * matters: it executes the document it is *called with*. That plugin plans the document the
 * request parsed, so a plugin that wraps the executor and rewrites the document (the response
 * cache adds `__typename` and `id` to learn which entities a response holds) was ignored.
 */
export function useFederationExecutor(gateway: ApolloGateway, logger: GatewayGraphQLRequestContext['logger']): Plugin {
  /** Printed documents: the query-plan cache is keyed by the text. */
  const printed = new WeakMap<DocumentNode, string>();
  const textOf = (document: DocumentNode) => {
    let text = printed.get(document);
    if (text === undefined) {
      text = getDocumentString(document, print);
      printed.set(document, text);
    }
    return text;
  };

  // The planner merges what it adds (keys, @requires) into a client's field of the same response
  // key; those fields are planned under aliases (gateway/federation/requires-aliases.ts).
  let requiresAliases: RequiresAliaser = () => null;

  return {
    onPluginInit({ setSchema }) {
      if (gateway.schema === undefined) throw new Error('Load the ApolloGateway before creating its executor plugin');
      setSchema(gateway.schema);
      // A loaded gateway tells its supergraph through __testing() only; an update brings the new one.
      const { supergraphSdl } = gateway.__testing();
      if (supergraphSdl !== undefined) requiresAliases = makeRequiresAliaser(plannerAddedFieldsOf(supergraphSdl));
      gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
        requiresAliases = makeRequiresAliaser(plannerAddedFieldsOf(coreSupergraphSdl));
        setSchema(apiSchema);
      });
    },
    onExecute({ setExecuteFn }) {
      setExecuteFn((clientArgs) => {
        const aliased = requiresAliases(clientArgs.document, clientArgs.operationName);
        const args = aliased === null ? clientArgs : { ...clientArgs, document: aliased.document };
        const operationName = args.operationName ?? undefined;
        const operation = getOperationAST(args.document, operationName);
        if (operation === null || operation === undefined)
          throw new Error(`Operation ${operationName ?? ''} not found in the document`);
        const text = textOf(args.document);
        const request: GatewayGraphQLRequestContext = {
          document: args.document,
          request: {
            query: text,
            ...(operationName === undefined ? {} : { operationName }),
            variables: args.variableValues ?? {},
          },
          operationName: operationName ?? null,
          operation,
          context: args.contextValue as Record<string, unknown>,
          queryHash: text,
          source: text,
          schema: args.schema,
          schemaHash: '' as GatewayGraphQLRequestContext['schemaHash'],
          logger,
          metrics: {},
          // Neither is used by the executor: Apollo Server's response cache and cache hints.
          cache: NO_CACHE,
          overallCachePolicy: undefined,
        };
        const result = gateway.executor(request).then(withValueCompletionErrors);
        return aliased === null ? result : result.then((answer) => aliased.restore(answer));
      });
    },
  };
}
