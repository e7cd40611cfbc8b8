import { createHash } from 'node:crypto';
import { getDocumentString } from '@envelop/core';
import stableStringify from 'fast-json-stable-stringify';
import { type ExecutionResult, type GraphQLSchema, getOperationAST, print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../lib/kernel/logger.js';
import type { GatewayContext } from '../context.js';
import { createCachePolicy } from '../response-cache/cache-policy.js';
import type { ResponseCacheStore } from '../response-cache/cache-store.js';
import { createGuardedCache, type ResponseCacheCounters } from '../response-cache/guarded-cache.js';
import { entitiesInResult } from '../response-cache/result-entities.js';

/**
 * A computed result is stored only if it arrives within this long of its lookup: the stores
 * remember invalidations for this long (see cache-store.ts for why they must).
 */
export const INVALIDATION_GUARD_MS = 120_000;

export interface ResponseCacheOptions {
  store: ResponseCacheStore;
  logger: Logger;
  counters: ResponseCacheCounters;
  /**
   * The supergraph a public schema belongs to: its viewer-dependent fields (`Type.field`), and
   * its hash, part of every key, so a reloaded supergraph never answers from the previous one's
   * responses.
   */
  supergraphOf: (schema: GraphQLSchema) => { readonly hash: string; readonly viewerDependent: ReadonlySet<string> };
  /** TTL of a response that names no type or field below. */
  defaultTtlSeconds: number;
  /** Seconds per type name (`Post`) or field (`Query.trendingHashtags`); the smallest one a response contains wins; 0 = never cached. */
  ttlSeconds: Readonly<Record<string, number>>;
}

/**
 * The gateway's response cache over a ResponseCacheStore:
 * - queries only, decided per document: public responses are shared by every viewer, responses
 *   that select a viewer-dependent field are keyed by the viewer as well (cache-policy.ts);
 * - TTL per type and field, the smallest the response contains;
 * - a mutation invalidates what its subgraphs report having touched (lib/kernel/touched-entities.ts:
 *   the mutation's own result and its side effects, like the follower's followingCount),
 *   before the gateway answers it, so the next query of any client sees the write;
 * - `X-Cache: HIT|MISS` on responses the cache could answer.
 * It executes the client's document as it came: the entities a result holds are read off it
 * (result-entities.ts), never added to it, so the cache cannot change an answer. A failing
 * store is a miss (guarded-cache.ts).
 */
export function useResponseCache(options: ResponseCacheOptions): Plugin<GatewayContext>[] {
  const policyOf = createCachePolicy({
    viewerDependentFields: (schema) => options.supergraphOf(schema).viewerDependent,
    ttlSeconds: options.ttlSeconds,
  });
  // A key stands for one document, operation, variables and viewer, so its types never change:
  // this is a memo, bounded far above the number of requests in flight.
  const typesByKey = new LRUCache<string, readonly string[]>({ max: 50_000 });
  const cache = createGuardedCache(options.store, {
    logger: options.logger,
    counters: options.counters,
    guardMs: INVALIDATION_GUARD_MS,
    typesOf: (key) => typesByKey.get(key) ?? [],
  });
  const outcomes = new WeakMap<Request, 'HIT' | 'MISS'>();

  const cacheQueries: Plugin<GatewayContext> = {
    async onExecute({ args, setExecuteFn }) {
      const policy = policyOf(args.schema, args.document, args.operationName);
      if (!policy.cacheable) return;
      const context = args.contextValue;
      const key = responseCacheKey({
        supergraph: options.supergraphOf(args.schema).hash,
        documentString: getDocumentString(args.document, print),
        operationName: args.operationName,
        variableValues: args.variableValues,
        sessionId: policy.perViewer ? `viewer:${context.viewer?.id ?? 'anonymous'}` : undefined,
      });
      typesByKey.set(key, policy.types);
      const request = (context as { request?: Request }).request;
      const cached = await cache.get(key);
      if (request !== undefined) outcomes.set(request, cached === null ? 'MISS' : 'HIT');
      if (cached !== null) {
        setExecuteFn(() => cached);
        return;
      }
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return;
          const { data, errors } = result as ExecutionResult;
          if ((errors?.length ?? 0) > 0) return;
          const entities = entitiesInResult(args.schema, args.document, args.operationName, data);
          let ttlSeconds = policy.ttlSeconds;
          for (const { typename } of entities) {
            const ttl = options.ttlSeconds[typename];
            if (ttl !== undefined) ttlSeconds = Math.min(ttl, ttlSeconds ?? ttl);
          }
          const ttlMs = (ttlSeconds ?? options.defaultTtlSeconds) * 1000;
          // Stored while the answer goes out: a client never waits for the cache's write.
          void cache.set(key, result as ExecutionResult, entities, ttlMs);
        },
      };
    },
    onResponse({ request, response }) {
      const outcome = outcomes.get(request);
      if (outcome !== undefined) response.headers.set('X-Cache', outcome);
    },
  };

  const invalidateTouched: Plugin<GatewayContext> = {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      return {
        async onExecuteDone() {
          const touched = args.contextValue.touched;
          if (touched.size > 0) await cache.invalidate(touched.list());
        },
      };
    },
  };

  return [invalidateTouched, cacheQueries];
}

/**
 * The key of a response: what @envelop/response-cache's default hashed (document, operation,
 * variables with sorted keys, session), with node:crypto's synchronous sha256 instead of
 * WebCrypto's, whose promise and buffer copies were a tenth of the gateway's CPU on cache hits.
 */
function responseCacheKey(params: {
  supergraph: string;
  documentString: string;
  operationName: string | null | undefined;
  variableValues: Readonly<Record<string, unknown>> | null | undefined;
  sessionId: string | undefined;
}): string {
  return createHash('sha256')
    .update(
      [
        params.supergraph,
        params.documentString,
        params.operationName ?? '',
        stableStringify(params.variableValues ?? {}),
        params.sessionId ?? '',
      ].join('|'),
    )
    .digest('hex');
}
