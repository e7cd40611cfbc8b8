import type { IncomingMessage } from 'node:http';
import { getDocumentString } from '@envelop/core';
import { type ExecutionResult, type GraphQLSchema, getOperationAST, print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../lib/kernel/logger.js';
import type { GatewayContext } from '../context.js';
import type { AccessRequirements } from '../federation/access-requirements.js';
import { responseCacheKey, responseSession } from '../response-cache/cache-key.js';
import { createCachePolicy } from '../response-cache/cache-policy.js';
import type { ResponseCacheStore } from '../response-cache/cache-store.js';
import type { EarlyHits } from '../response-cache/early-hits.js';
import { createGuardedCache, type ResponseCache, type ResponseCacheCounters } from '../response-cache/guarded-cache.js';
import { entitiesInResult } from '../response-cache/result-entities.js';
import { type ViewerHoles, withHolesEmptied } from '../response-cache/viewer-holes.js';

/**
 * A computed result is stored only if it arrives within this long of its lookup: the stores
 * remember invalidations for this long (see cache-store.ts for why they must).
 */
export const INVALIDATION_GUARD_MS = 120_000;

export interface ResponseCacheOptions {
  /** The guarded cache over the store (createResponseCache). */
  cache: ResponseCache;
  /**
   * The supergraph a public schema belongs to: its viewer-dependent fields (`Type.field`), and
   * its hash, part of every key, so a reloaded supergraph never answers from the previous one's
   * responses.
   */
  supergraphOf: (schema: GraphQLSchema) => { readonly hash: string; readonly viewerDependent: ReadonlySet<string> };
  /** Its `@authenticated` and `@requiresScopes`: what they guard is cached per viewer, or not at all (cache-policy.ts). */
  accessOf?: (schema: GraphQLSchema) => AccessRequirements;
  /** TTL of a response that names no type or field below. */
  defaultTtlSeconds: number;
  /** Seconds per type name (`Post`) or field (`Query.trendingHashtags`); the smallest one a response contains wins; 0 = never cached. */
  ttlSeconds: Readonly<Record<string, number>>;
  /** Told of each cacheable document an HTTP request ran, so its next hits can be answered before Yoga (early-hits.ts). */
  earlyHits?: EarlyHits;
  /**
   * The viewer holes of the supergraph `schema` belongs to: a per-viewer operation they have a
   * plan for is stored once for every viewer and completed per request (viewer-holes.ts);
   * every per-viewer operation is stored per viewer when absent.
   */
  viewerHolesOf?: (schema: GraphQLSchema) => ViewerHoles;
}

/** The gateway's response cache over `store`: what the plugin and the early hits (early-hits.ts) share. */
export function createResponseCache(
  store: ResponseCacheStore,
  options: { logger: Logger; counters: ResponseCacheCounters },
): ResponseCache {
  return createGuardedCache(store, { ...options, guardMs: INVALIDATION_GUARD_MS });
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
    ...(options.accessOf === undefined ? {} : { accessOf: options.accessOf }),
  });
  const { cache } = options;
  const outcomes = new WeakMap<Request, 'HIT' | 'MISS'>();

  const cacheQueries: Plugin<GatewayContext> = {
    async onExecute({ args, setExecuteFn }) {
      const policy = policyOf(args.schema, args.document, args.operationName);
      if (!policy.cacheable) return;
      const context = args.contextValue;
      const supergraph = options.supergraphOf(args.schema).hash;
      const holes = policy.perViewer ? (options.viewerHolesOf?.(args.schema) ?? null) : null;
      const holePlan = holes?.planOf(args.schema, args.document, args.operationName) ?? null;
      const documentString = getDocumentString(args.document, print);
      const req = (context as { req?: IncomingMessage }).req;
      if (options.earlyHits !== undefined && req !== undefined) {
        options.earlyHits.admit(req, {
          operationName: args.operationName ?? undefined,
          documentString,
          variableDefinitions: getOperationAST(args.document, args.operationName)?.variableDefinitions ?? [],
          schema: args.schema,
          supergraph,
          perViewer: policy.perViewer,
          viewerHoles: holePlan === null || holes === null ? null : { plan: holePlan, holes },
        });
      }
      // Filled per request only for a signed-in viewer: anonymous requests share a complete response.
      const filled = holePlan !== null && holes !== null && context.viewer !== null ? { plan: holePlan, holes } : null;
      const key = responseCacheKey({
        supergraph,
        documentString,
        operationName: args.operationName,
        variableValues: args.variableValues,
        sessionId: responseSession({ perViewer: policy.perViewer, sharesViewerHoles: holePlan !== null }, context.viewer),
      });
      const request = (context as { request?: Request }).request;
      const cached = await cache.get(
        key,
        filled === null ? undefined : (result) => filled.holes.fill(filled.plan, result.data, context.viewer),
      );
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
          const stored = filled === null ? (result as ExecutionResult) : { ...result, data: withHolesEmptied(filled.plan, data) };
          void cache.set(key, stored as ExecutionResult, entities, ttlMs, policy.types);
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
