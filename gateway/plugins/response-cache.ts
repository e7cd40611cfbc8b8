import { createHash } from 'node:crypto';
import {
  type BuildResponseCacheKeyFunction,
  type Cache,
  useResponseCache as useEnvelopResponseCache,
} from '@envelop/response-cache';
import stableStringify from 'fast-json-stable-stringify';
import type { ExecutionResult } from 'graphql';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../lib/logger.js';
import type { GatewayContext } from '../context.js';
import { type CachePolicy, createCachePolicy } from '../response-cache/cache-policy.js';
import type { ResponseCacheStore } from '../response-cache/cache-store.js';
import { createEnvelopCache, type ResponseCacheCounters } from '../response-cache/envelop-cache.js';

/**
 * A computed result is stored only if it arrives within this long of its lookup: the stores
 * remember invalidations for this long (see cache-store.ts for why they must).
 */
export const INVALIDATION_GUARD_MS = 120_000;

export interface ResponseCacheOptions {
  store: ResponseCacheStore;
  logger: Logger;
  counters: ResponseCacheCounters;
  /** `Type.field` of every field tagged viewer-dependent in the supergraph. */
  viewerDependentFields: ReadonlySet<string>;
  /** TTL of a response that names no type or field below. */
  defaultTtlSeconds: number;
  /** Seconds per type name (`Post`) or field (`Query.trendingHashtags`); the smallest one a response contains wins; 0 = never cached. */
  ttlSeconds: Readonly<Record<string, number>>;
}

/**
 * The gateway's response cache (@envelop/response-cache over a ResponseCacheStore):
 * - queries only, decided per document: public responses are shared by every viewer, responses
 *   that select a viewer-dependent field are keyed by the viewer as well (cache-policy.ts);
 * - TTL per type and field, the smallest the response contains;
 * - a mutation invalidates what its subgraphs report having touched (lib/touched-entities.ts:
 *   the mutation's own result and its side effects, like the follower's followingCount),
 *   before the gateway answers it, so the next query of any client sees the write;
 * - `X-Cache: HIT|MISS` on responses the cache could answer.
 * A failing store is a miss (envelop-cache.ts).
 */
export function useResponseCache(options: ResponseCacheOptions): Plugin<GatewayContext>[] {
  const policyOf = createCachePolicy({ viewerDependentFields: options.viewerDependentFields, ttlSeconds: options.ttlSeconds });
  const policies = new WeakMap<object, CachePolicy>();
  // A key stands for one document, operation, variables and viewer, so its types never change:
  // this is a memo, bounded far above the number of requests in flight.
  const typesByKey = new LRUCache<string, readonly string[]>({ max: 50_000 });
  const cache: Cache = createEnvelopCache(options.store, {
    logger: options.logger,
    counters: options.counters,
    guardMs: INVALIDATION_GUARD_MS,
    typesOf: (key) => typesByKey.get(key) ?? [],
  });
  const outcomes = new WeakMap<Request, 'HIT' | 'MISS'>();

  const decidePolicy: Plugin<GatewayContext> = {
    onExecute({ args }) {
      policies.set(args.contextValue, policyOf(args.schema, args.document, args.operationName));
    },
  };

  const cacheQueries = useEnvelopResponseCache<GatewayContext>({
    cache,
    enabled: (context) => policies.get(context)?.cacheable === true,
    session: (context) => (policies.get(context)?.perViewer === true ? `viewer:${context.viewer?.id ?? 'anonymous'}` : null),
    buildResponseCacheKey(params) {
      const key = responseCacheKey(params);
      typesByKey.set(key, policies.get(params.context as object)?.types ?? []);
      return key;
    },
    ttl: options.defaultTtlSeconds * 1000,
    ttlPerSchemaCoordinate: Object.fromEntries(
      Object.entries(options.ttlSeconds).map(([name, seconds]) => [name, seconds * 1000]),
    ),
    // Mutations invalidate what their subgraphs say they touched (below), which includes
    // side effects their result does not show.
    invalidateViaMutation: false,
    shouldCacheResult: ({ result }) => result.errors === undefined || result.errors.length === 0,
    // Read and removed below: it becomes the X-Cache header.
    includeExtensionMetadata: true,
  }) as Plugin<GatewayContext>;

  const reportOutcome: Plugin<GatewayContext> = {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const { responseCache, ...extensions } = (result as ExecutionResult).extensions ?? {};
          if (responseCache === undefined) return;
          const request = (args.contextValue as { request?: Request }).request;
          if (request !== undefined) outcomes.set(request, (responseCache as { hit?: boolean }).hit === true ? 'HIT' : 'MISS');
          const { extensions: _removed, ...rest } = result as ExecutionResult;
          setResult(Object.keys(extensions).length === 0 ? rest : { ...rest, extensions });
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

  return [decidePolicy, invalidateTouched, cacheQueries, reportOutcome];
}

/**
 * The key of a response: what @envelop/response-cache's default hashes (document, operation,
 * variables with sorted keys, session), with node:crypto's synchronous sha256 instead of
 * WebCrypto's, whose promise and buffer copies were a tenth of the gateway's CPU on cache hits.
 */
function responseCacheKey(params: Parameters<BuildResponseCacheKeyFunction>[0]): string {
  return createHash('sha256')
    .update(
      [
        params.documentString,
        params.operationName ?? '',
        stableStringify(params.variableValues ?? {}),
        params.sessionId ?? '',
      ].join('|'),
    )
    .digest('hex');
}
