import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';
import type { EntityCache } from '../entity-cache/entity-cache.js';
import { EVERY_ENTRY, wroteUnreported } from '../entity-cache/unreported-writes.js';

/**
 * Invalidates the entity cache's entries holding what a mutation touched (its subgraphs report
 * it, lib/kernel/touched-entities.ts) before the mutation is answered, as the response cache
 * does its responses: the next query, on any gateway instance, reads the write. A mutation
 * some subgraph answered without saying what it touched drops every entry (unreported-writes.ts).
 */
export function useEntityCacheInvalidation(cache: EntityCache): Plugin<GatewayContext> {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      return {
        async onExecuteDone() {
          const context = args.contextValue;
          const touched = context.touched.list();
          if (wroteUnreported(context)) touched.push({ typename: EVERY_ENTRY });
          if (touched.length > 0) await cache.invalidate(touched);
        },
      };
    },
  };
}
