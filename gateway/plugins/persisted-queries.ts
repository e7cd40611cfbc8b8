import { createHash } from 'node:crypto';
import { useAPQ } from '@graphql-yoga/plugin-apq';
import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { KeyValueStore } from '../../lib/infra/key-value-store.js';
import { AppError } from '../../lib/kernel/errors.js';
import type { Logger } from '../../lib/kernel/logger.js';
import type { DocumentCounters } from './document-metrics.js';
import type { TrustedDocuments } from './trusted-documents.js';

/**
 * Automatic persisted queries (Apollo's protocol): a client sends
 * `extensions.persistedQuery { version: 1, sha256Hash }` without the document; an unknown hash
 * answers PERSISTED_QUERY_NOT_FOUND and the client resends hash and document, which registers
 * it. Documents live in the gateway's key-value store (Redis when REDIS_URL is set), so one
 * registration serves every gateway instance.
 *
 * Persisted-query GETs of queries are also made HTTP-cacheable: `Cache-Control` (public for
 * anonymous requests, private with an Authorization header), a weak `ETag` over the body, and
 * 304 for a matching `If-None-Match`. That is what lets a CDN or the browser cache them.
 */

const KEY_PREFIX = 'apq:';

export class PersistedQueryNotFoundError extends AppError {
  constructor() {
    // The message is the one Apollo Client's persisted-queries link looks for.
    super('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', { http: { status: 404 } });
  }
}

export class PersistedQueryMismatchError extends AppError {
  constructor() {
    super('BAD_USER_INPUT', 'The persisted query hash does not match the sha256 of the query.', { http: { status: 400 } });
  }
}

export interface PersistedQueriesOptions {
  store: KeyValueStore;
  logger: Logger;
  /** How long a registered document stays in the store. */
  ttlSeconds: number;
  /** `max-age` of anonymous persisted-query GETs. */
  maxAgeSeconds: number;
  /** The trusted-documents manifest: its hashes resolve as registered, and are never written to the store. */
  trusted?: Pick<TrustedDocuments, 'get'>;
  /** Counts hits, misses and registrations (`gateway_persisted_queries_total`). */
  counters?: Pick<DocumentCounters, 'persistedQuery'>;
}

export function usePersistedQueries(options: PersistedQueriesOptions): Plugin {
  const { store, logger } = options;
  const count = options.counters?.persistedQuery ?? (() => undefined);
  /** The document of a hash, from the manifest or the store; null when unknown (or the store failed). */
  const lookUp = async (hash: string): Promise<string | null> => {
    const trusted = options.trusted?.get(hash);
    if (trusted !== undefined) return trusted;
    try {
      return await store.get(KEY_PREFIX + hash);
    } catch (error) {
      logger.warn({ err: error }, 'persisted queries: store read failed');
      return null;
    }
  };
  const apq = useAPQ({
    store: {
      // A store failure degrades to "not found" (the client then sends the document) and an
      // unregistered document: APQ is an optimisation and must not fail the request.
      async get(hash) {
        const document = await lookUp(hash);
        count(document === null ? 'miss' : 'hit');
        return document;
      },
      async set(hash, query) {
        if (options.trusted?.get(hash) !== undefined) return;
        try {
          await store.set(KEY_PREFIX + hash, query, options.ttlSeconds);
          count('registered');
        } catch (error) {
          logger.warn({ err: error }, 'persisted queries: store write failed');
        }
      },
    },
  });
  /** GETs that carried a persisted-query extension. */
  const persistedGets = new WeakSet<Request>();
  /** Of those, the ones whose operation was executed as a query: only these may be cached. */
  const cacheable = new WeakSet<Request>();

  return {
    async onParams(payload) {
      if (payload.request.method === 'GET' && payload.params.extensions?.persistedQuery != null) {
        persistedGets.add(payload.request);
      }
      try {
        await apq.onParams?.(payload);
      } catch (error) {
        // The plugin's own errors carry codes outside API.md's set; these are ours.
        const code = error instanceof GraphQLError ? error.extensions.code : undefined;
        if (code === 'PERSISTED_QUERY_NOT_FOUND') throw new PersistedQueryNotFoundError();
        if (code === 'PERSISTED_QUERY_MISMATCH') throw new PersistedQueryMismatchError();
        throw error;
      }
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request === undefined || !persistedGets.has(request)) return;
      // Yoga refuses mutations over GET already; this makes "queries only" explicit here.
      if (getOperationAST(args.document, args.operationName)?.operation === 'query') cacheable.add(request);
    },
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (!cacheable.has(request) || response.status !== 200) return;
      if (!(response.headers.get('content-type') ?? '').includes('json')) return;
      const body = await response.text();
      const headers = new fetchAPI.Headers(response.headers);
      if (!hasErrors(body)) {
        // Weak: the compression plugin may send other bytes of the same content.
        const etag = `W/"${createHash('sha256').update(body).digest('base64url')}"`;
        headers.set('etag', etag);
        headers.set(
          'cache-control',
          request.headers.has('authorization') ? 'private, no-cache' : `public, max-age=${options.maxAgeSeconds}`,
        );
        // An anonymous answer must not be served from a cache to a signed-in request.
        headers.append('vary', 'authorization');
        if (matches(request.headers.get('if-none-match'), etag)) {
          headers.delete('content-type');
          headers.delete('content-length');
          setResponse(new fetchAPI.Response(null, { status: 304, headers }));
          return;
        }
      }
      setResponse(new fetchAPI.Response(body, { status: response.status, statusText: response.statusText, headers }));
    },
  };
}

/** A result with errors (even partial data) is not cached: it may be transient. */
function hasErrors(body: string): boolean {
  try {
    return (JSON.parse(body) as { errors?: unknown }).errors !== undefined;
  } catch {
    return true;
  }
}

/** `If-None-Match` uses the weak comparison (RFC 9110 13.1.2): `W/` prefixes are ignored. */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}
