import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { getCORSHeadersByRequestAndOptions } from '@whatwg-node/server';
import { type GraphQLSchema, getVariableValues, type VariableDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { ServiceMetrics } from '../../lib/infra/metrics.js';
import type { Viewer } from '../../lib/kernel/tokens.js';
import { MAX_REQUEST_BODY_BYTES } from '../../lib/service/request-limits.js';
import { COMPRESSION_THRESHOLD_BYTES, compressors, type Encoding, preferredEncoding } from '../plugins/compression.js';
import { clientIp, type LimitCheck, operationLimitKey, type RateLimiters } from '../plugins/rate-limit.js';
import { ANONYMOUS_SESSION, responseCacheKey, responseSession, VIEWER_HOLES_SESSION } from './cache-key.js';
import type { ResponseCache } from './guarded-cache.js';
import type { ViewerHolePlan, ViewerHoles } from './viewer-holes.js';

/**
 * A document the full path ran and found cacheable: what answering it early needs to compute its
 * response key exactly as plugins/response-cache.ts does, from the request alone.
 */
export interface AdmittedDocument {
  readonly operationName: string | undefined;
  /** The text the response key is computed over (getDocumentString). */
  readonly documentString: string;
  /** Its operation's variables, coerced against `schema` as execution coerces them. */
  readonly variableDefinitions: readonly VariableDefinitionNode[];
  readonly schema: GraphQLSchema;
  /** The hash of the supergraph it was validated on. */
  readonly supergraph: string;
  readonly perViewer: boolean;
  /** A per-viewer document answered from one response for every viewer, completed per request (viewer-holes.ts). */
  readonly viewerHoles: { readonly plan: ViewerHolePlan; readonly holes: ViewerHoles } | null;
}

/** What names a document in a request: its text, or the hash of an automatic persisted query. */
type RequestIdentity = string;

/** Documents remembered: far more than the operations an app sends. */
const DOCUMENTS_KEPT = 5000;
/** Response bodies kept as bytes, by response key and encoding: the hot responses. */
const ENCODED_KEPT = 2000;
/** Request bodies remembered with what they resolve to, and the characters they may hold in all. */
const BODIES_KEPT = 10_000;
const BODY_CHARACTERS_KEPT = 16 * 1024 * 1024;

/**
 * What a request body resolves to, once its document is admitted: the same bytes always name the
 * same document with the same coerced variables, so a repeated body skips JSON parsing,
 * coercion and, for a public document, hashing.
 */
interface KnownBody {
  readonly identity: RequestIdentity;
  readonly document: AdmittedDocument;
  readonly variableValues: Record<string, unknown>;
  /**
   * Response keys by session (cache-key.ts), for the sessions that name no viewer: the public
   * one, anonymous, and the viewer holes. A viewer's own session is hashed per request.
   */
  readonly keys: Map<string | undefined, string>;
}

/**
 * Response-cache hits answered before Yoga: no request object, no parse, validation, context,
 * planning or serialization. Only a request the full path would answer from the cache with the
 * same bytes is answered here:
 *
 * - a single JSON POST to /graphql (CSRF prevention lets every such request through) whose
 *   document the full path already ran and found cacheable on the supergraph served now
 *   (`admit`, called by the response-cache plugin; so every check that depends on the document
 *   alone, validation, operation limits, trusted documents, introspection, has passed);
 * - its variables coerced as execution coerces them, its viewer authenticated as the full path
 *   does (a bad token takes the full path, which refuses it), and the key computed by the same
 *   function (cache-key.ts);
 * - a hit in the store, and a rate limit that lets it through: one point, counted as the full
 *   path counts it.
 *
 * Anything else (a miss, a batch, GET, an Accept header it does not serve, a refusal of any
 * kind) goes to Yoga with its body, which reads it as if nothing had happened. A hit counts as a
 * response-cache hit and as a successful query; a shared response's bytes are kept per key
 * and encoding, so a hot response is encoded and compressed once.
 */
export class EarlyHits {
  readonly #cache: ResponseCache;
  readonly #currentSupergraph: () => string;
  readonly #authenticate: (header: string | undefined) => Promise<Viewer | null>;
  readonly #limit: { readonly check: LimitCheck; readonly limiters: RateLimiters; readonly trustProxy: boolean } | undefined;
  readonly #metrics: ServiceMetrics;
  readonly #documents = new LRUCache<string, AdmittedDocument>({ max: DOCUMENTS_KEPT });
  readonly #encoded = new LRUCache<string, { json: string; body: Buffer }>({ max: ENCODED_KEPT });
  readonly #bodies = new LRUCache<string, KnownBody>({
    max: BODIES_KEPT,
    maxSize: BODY_CHARACTERS_KEPT,
    sizeCalculation: (_, body) => Math.max(1, body.length),
  });
  /** Accept headers seen, with the media type each is answered with (clients send a handful). */
  readonly #mediaTypes = new LRUCache<string, MediaType | 'none'>({ max: 100 });
  /** Each POST's document identity, read off its body here, for `admit`. */
  readonly #identities = new WeakMap<IncomingMessage, RequestIdentity>();

  constructor(deps: {
    cache: ResponseCache;
    /** The hash of the supergraph served now: documents admitted on another one are not answered here. */
    currentSupergraph: () => string;
    /** The full path's authentication: throws for a bad token or an account that is gone. */
    authenticate: (header: string | undefined) => Promise<Viewer | null>;
    limit: { check: LimitCheck; limiters: RateLimiters; trustProxy: boolean } | undefined;
    metrics: ServiceMetrics;
  }) {
    this.#cache = deps.cache;
    this.#currentSupergraph = deps.currentSupergraph;
    this.#authenticate = deps.authenticate;
    this.#limit = deps.limit;
    this.#metrics = deps.metrics;
  }

  /** The full path found `document` cacheable for the request `req`: the same request may be answered early from now on. */
  admit(req: IncomingMessage | undefined, document: AdmittedDocument): void {
    const identity = req === undefined ? undefined : this.#identities.get(req);
    if (identity === undefined) return;
    this.#documents.set(documentKey(document.supergraph, identity, document.operationName), document);
  }

  /** Yoga's handler with hits answered in front of it. */
  handler(next: RequestListener): RequestListener {
    return (req, res) => {
      if (!this.#mayAnswer(req)) {
        next(req, res);
        return;
      }
      this.#answer(req, res).then(
        (answered) => {
          if (!answered) next(req, res);
        },
        () => next(req, res),
      );
    };
  }

  /** Worth reading the body for: a JSON POST to /graphql of a known, bounded length. */
  #mayAnswer(req: IncomingMessage): boolean {
    // Read even while nothing was admitted: `admit` learns what a request named from here.
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (url !== '/graphql' && !url.startsWith('/graphql?')) return false;
    const length = Number(req.headers['content-length']);
    if (!(length > 0 && length <= MAX_REQUEST_BODY_BYTES)) return false;
    return (req.headers['content-type'] ?? '').startsWith('application/json');
  }

  /** Answers a hit and says so; otherwise leaves the request (its body kept for Yoga) to the full path. */
  async #answer(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const started = performance.now();
    const raw = await readBody(req);
    // Yoga reads a request whose stream was consumed from `body` (@whatwg-node/server).
    (req as IncomingMessage & { body?: Buffer }).body = raw;
    const text = raw.toString('utf8');
    const known = this.#known(req, text);
    if (known === undefined) return false;
    const mediaType = this.#mediaTypeFor(req.headers.accept);
    if (mediaType === undefined) return false;
    const { document } = known;
    // A per-viewer key needs the viewer first; a public one only on a hit (a miss goes to Yoga,
    // which authenticates anyway).
    const keyViewer = document.perViewer ? await this.#authenticate(req.headers.authorization) : null;
    const key = keyOf(
      known,
      responseSession({ perViewer: document.perViewer, sharesViewerHoles: document.viewerHoles !== null }, keyViewer),
    );
    const stored = await this.#cache.peek(key);
    if (stored === null) return false;
    // A bad token is refused even where the answer is public: Yoga answers it with its 401.
    const viewer = document.perViewer ? keyViewer : await this.#authenticate(req.headers.authorization);
    if (this.#limit !== undefined) {
      const ip = clientIp({ req }, this.#limit.trustProxy);
      const wait = await this.#limit.check(this.#limit.limiters.operations, operationLimitKey(viewer, ip), 1);
      // The full path refuses it, with the 429 and everything else a refusal carries.
      if (wait !== undefined) return false;
    }
    // Anonymous requests share a complete response (cache-key.ts): only a signed-in viewer's is filled.
    const filled = keyViewer === null ? null : document.viewerHoles;
    const json = filled === null ? stored : await completedForViewer(filled, stored, keyViewer);
    // Not completed (an entity gone, a subgraph failing): the full path answers, and says why.
    if (json === null) return false;
    const encoding = json.length >= COMPRESSION_THRESHOLD_BYTES ? preferredEncoding(acceptEncoding(req)) : undefined;
    // A shared response's bytes are kept per encoding; a filled one is this viewer's alone.
    const body = filled === null ? await this.#bodyOf(key, encoding, json) : await encoded(json, encoding);
    res.statusCode = 200;
    res.setHeader('content-type', `${mediaType}; charset=utf-8`);
    // Yoga's default CORS headers (every origin allowed); compression then appends its Vary.
    const cors = getCORSHeadersByRequestAndOptions({ headers: { get: (name: string) => headerOf(req, name) } } as Request, {});
    for (const [name, value] of Object.entries(cors ?? {})) res.setHeader(name, value);
    res.setHeader('vary', cors?.Vary === undefined ? 'accept-encoding' : `${cors.Vary}, accept-encoding`);
    res.setHeader('x-cache', 'HIT');
    if (encoding !== undefined) res.setHeader('content-encoding', encoding);
    res.setHeader('content-length', body.length);
    res.end(body);
    this.#cache.countEarlyHit();
    this.#metrics.operations.inc({ operation_type: 'query', outcome: 'success' });
    this.#metrics.operationDuration.observe(
      { operation_type: 'query', outcome: 'success' },
      (performance.now() - started) / 1000,
    );
    return true;
  }

  /**
   * What the body of `req` resolves to on the supergraph served now: remembered, or read (its
   * identity noted for `admit` either way). Undefined: not one operation of an admitted document
   * with valid variables, so the full path answers it.
   */
  #known(req: IncomingMessage, text: string): KnownBody | undefined {
    const supergraph = this.#currentSupergraph();
    const remembered = this.#bodies.get(text);
    if (remembered !== undefined && remembered.document.supergraph === supergraph) {
      this.#identities.set(req, remembered.identity);
      return remembered;
    }
    const request = parseRequest(text);
    if (request === undefined) return undefined;
    this.#identities.set(req, request.identity);
    const document = this.#documents.get(documentKey(supergraph, request.identity, request.operationName));
    if (document === undefined) return undefined;
    const { coerced, errors } = getVariableValues(document.schema, document.variableDefinitions, request.variables ?? {});
    if (errors !== undefined) return undefined;
    const known: KnownBody = { identity: request.identity, document, variableValues: coerced, keys: new Map() };
    this.#bodies.set(text, known);
    return known;
  }

  #mediaTypeFor(accept: string | undefined): MediaType | undefined {
    const header = accept ?? '';
    let mediaType = this.#mediaTypes.get(header);
    if (mediaType === undefined) {
      mediaType = negotiatedMediaType(accept) ?? 'none';
      this.#mediaTypes.set(header, mediaType);
    }
    return mediaType === 'none' ? undefined : mediaType;
  }

  async #bodyOf(key: string, encoding: Encoding | undefined, json: string): Promise<Buffer> {
    const cacheKey = `${encoding ?? 'identity'}\u0000${key}`;
    const kept = this.#encoded.get(cacheKey);
    // The same key may hold a newer response (invalidated, then computed again).
    if (kept !== undefined && kept.json === json) return kept.body;
    const body = await encoded(json, encoding);
    this.#encoded.set(cacheKey, { json, body });
    return body;
  }
}

/** `json` as the bytes of a response body in `encoding` (undefined: as it is). */
function encoded(json: string, encoding: Encoding | undefined): Promise<Buffer> {
  const bytes = Buffer.from(json);
  return encoding === undefined ? Promise.resolve(bytes) : compressors[encoding](bytes);
}

/** The shared response `stored` with the viewer's own values written in, as JSON; null when they could not all be had. */
async function completedForViewer(
  viewerHoles: NonNullable<AdmittedDocument['viewerHoles']>,
  stored: string,
  viewer: Viewer | null,
): Promise<string | null> {
  const result = JSON.parse(stored) as { data?: unknown };
  return (await viewerHoles.holes.fill(viewerHoles.plan, result.data, viewer)) ? JSON.stringify(result) : null;
}

/** The response key of `known` in `session`, remembered unless the session is one viewer's. */
function keyOf(known: KnownBody, session: string | undefined): string {
  const kept = known.keys.get(session);
  if (kept !== undefined) return kept;
  const { document } = known;
  const key = responseCacheKey({
    supergraph: document.supergraph,
    documentString: document.documentString,
    operationName: document.operationName,
    variableValues: known.variableValues,
    sessionId: session,
  });
  if (session === undefined || session === ANONYMOUS_SESSION || session === VIEWER_HOLES_SESSION) known.keys.set(session, key);
  return key;
}

function documentKey(supergraph: string, identity: RequestIdentity, operationName: string | undefined): string {
  return `${supergraph}\u0000${operationName ?? ''}\u0000${identity}`;
}

function headerOf(req: IncomingMessage, name: string): string | null {
  const header = req.headers[name.toLowerCase()];
  return header === undefined ? null : Array.isArray(header) ? header.join(',') : header;
}

function acceptEncoding(req: IncomingMessage): string | null {
  return headerOf(req, 'accept-encoding');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    req.on('error', reject);
    // Every request closes once answered: the error (and its stack) only when it closed early.
    req.on('close', () => {
      if (!ended) reject(new Error('request closed before its body ended'));
    });
  });
}

/** One operation of a GraphQL-over-HTTP POST, by what names its document; undefined for anything else (a batch, bad JSON). */
function parseRequest(
  text: string,
): { identity: RequestIdentity; operationName: string | undefined; variables: Record<string, unknown> | undefined } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { query, operationName, variables, extensions } = body as Record<string, unknown>;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables)))
    return undefined;
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  let identity: RequestIdentity;
  if (typeof query === 'string') identity = `query:${query}`;
  else if (query === undefined && typeof hash === 'string') identity = `apq:${hash}`;
  else return undefined;
  return {
    identity,
    operationName: operationName ?? undefined,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
  };
}

type MediaType = 'application/graphql-response+json' | 'application/json';

const SERVED_MEDIA_TYPES = new Set(['application/graphql-response+json', 'application/json', '*/*']);

/**
 * The media type Yoga answers a query with for this Accept header (its result processor: the
 * first acceptable entry wins, `application/json` for `*` and no header), or undefined when
 * the header asks for anything else (multipart, SSE, another charset): Yoga decides those.
 */
export function negotiatedMediaType(accept: string | undefined): MediaType | undefined {
  const entries = (accept === undefined || accept === '' ? '*/*' : accept).replace(/\s/g, '').toLowerCase().split(',');
  let chosen: MediaType | undefined;
  for (const entry of entries.reverse()) {
    const [mediaType = '', ...params] = entry.split(';');
    const charset = params.find((param) => param.startsWith('charset='));
    if (charset !== undefined && charset !== 'charset=utf-8') return undefined;
    if (!SERVED_MEDIA_TYPES.has(mediaType)) return undefined;
    if (mediaType === 'application/graphql-response+json' || mediaType === '*/*') chosen = 'application/graphql-response+json';
    if (mediaType === 'application/json' || mediaType === '*/*') chosen = 'application/json';
  }
  return chosen;
}
