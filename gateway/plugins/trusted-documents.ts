import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { AppError } from '../../lib/kernel/errors.js';
import type { DocumentCounters } from './document-metrics.js';

/**
 * Trusted documents (persisted operations): the client operations of clients/operations/,
 * compiled by `npm run codegen` into a manifest `{ "sha256:<hex>": "<document>" }` that the
 * gateway loads at start-up. A client may name one of them by hash instead of sending it:
 *
 * - `documentId` (GraphQL over HTTP's trusted documents): `sha256:<hex>` or the bare hex, in the
 *   JSON body or as a GET parameter;
 * - Apollo's `extensions.persistedQuery.sha256Hash`: the persisted-queries plugin resolves
 *   manifest hashes as already registered (persisted-queries.ts, option `trusted`).
 *
 * With `only` (PERSISTED_OPERATIONS_ONLY) every other operation is refused with
 * PERSISTED_QUERY_NOT_ALLOWED: ad-hoc documents, unknown hashes and APQ registrations. The HTTP
 * check is in `onParams`, before the persisted-queries plugin can register anything; the
 * `onParse` check repeats it for every transport that reaches envelop without `onParams`, i.e.
 * the public WebSocket (websocket-server.ts parses with `yoga.getEnveloped`), so no path runs a
 * document outside the manifest. A manifest document sent in full is accepted character for
 * character (it is the document whose hash is listed).
 */

export const TRUSTED_DOCUMENTS_FILE = new URL('../../clients/generated/persisted-documents.json', import.meta.url);

const HASH_PREFIX = 'sha256:';
const SHA256_HEX = /^[0-9a-f]{64}$/;

const AD_HOC_MESSAGE =
  'Only trusted documents run on this gateway: send the documentId (or persisted-query hash) of an operation ' +
  'in its manifest, or that document exactly.';
const UNKNOWN_HASH_MESSAGE = 'Unknown document hash: only operations in the trusted-documents manifest run on this gateway.';

/** A refused operation. Over HTTP: 200 for `application/json`, 400 for `application/graphql-response+json`. */
export class PersistedQueryNotAllowedError extends AppError {
  constructor(message: string, options: { overHttp: boolean }) {
    // `http` only where Yoga turns it into a status; over graphql-ws it would be sent as is.
    super('PERSISTED_QUERY_NOT_ALLOWED', message, options.overHttp ? { http: { spec: true, status: 400 } } : {});
  }
}

/** A documentId that is not in the manifest (when arbitrary operations are allowed). */
export class DocumentNotFoundError extends AppError {
  constructor() {
    super('PERSISTED_QUERY_NOT_FOUND', 'Unknown documentId: no operation in the trusted-documents manifest has this hash.', {
      http: { status: 404 },
    });
  }
}

class DocumentIdMisuseError extends AppError {
  constructor(message: string) {
    super('BAD_REQUEST', message, { http: { status: 400 } });
  }
}

/** The manifest, validated once: documents by hash (bare hex), and the set of document texts. */
export class TrustedDocuments {
  readonly #byHash = new Map<string, string>();
  readonly #texts = new Set<string>();

  /** Throws, naming the entry, when a key is not `sha256:<hex>` of its document. */
  constructor(manifest: Readonly<Record<string, unknown>>) {
    for (const [key, document] of Object.entries(manifest)) {
      const hash = key.startsWith(HASH_PREFIX) ? key.slice(HASH_PREFIX.length) : key;
      if (typeof document !== 'string' || !SHA256_HEX.test(hash) || sha256(document) !== hash) {
        throw new Error(`Trusted-documents manifest: "${key}" is not the sha256 of its document (run \`npm run codegen\`).`);
      }
      this.#byHash.set(hash, document);
      this.#texts.add(document);
    }
  }

  get size(): number {
    return this.#byHash.size;
  }

  /** The document with this hash: bare hex (Apollo's sha256Hash) or `sha256:<hex>` (documentId). */
  get(id: string): string | undefined {
    return this.#byHash.get(id.startsWith(HASH_PREFIX) ? id.slice(HASH_PREFIX.length) : id);
  }

  /** Whether `document` is, character for character, one of the manifest's documents. */
  includes(document: string): boolean {
    return this.#texts.has(document);
  }

  /** Every `[hash, document]`, hash as bare hex. */
  entries(): IterableIterator<[string, string]> {
    return this.#byHash.entries();
  }
}

/** Reads the manifest codegen wrote (clients/generated/persisted-documents.json by default). */
export function loadTrustedDocuments(file: URL | string = TRUSTED_DOCUMENTS_FILE): TrustedDocuments {
  return new TrustedDocuments(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
}

export interface TrustedDocumentsOptions {
  /** Run manifest operations only (PERSISTED_OPERATIONS_ONLY); everything else is refused. Default: false. */
  only?: boolean;
  /** Counts manifest hits, misses and refused ad-hoc documents (`gateway_trusted_documents_total`). */
  counters?: Pick<DocumentCounters, 'trustedDocument'>;
}

export function useTrustedDocuments(documents: TrustedDocuments, options: TrustedDocumentsOptions = {}): Plugin {
  const only = options.only ?? false;
  const count = options.counters?.trustedDocument ?? (() => undefined);
  const refuse = (outcome: 'miss' | 'refused', error: Error) => {
    count(outcome);
    return error;
  };
  return {
    onParams({ params, request, setParams }) {
      const documentId = documentIdOf(params, request);
      if (documentId !== undefined) {
        if (params.query != null) throw new DocumentIdMisuseError('Send either documentId or query, not both.');
        const document = documents.get(documentId);
        if (document === undefined) {
          throw refuse(
            'miss',
            only ? new PersistedQueryNotAllowedError(UNKNOWN_HASH_MESSAGE, { overHttp: true }) : new DocumentNotFoundError(),
          );
        }
        count('hit');
        // Yoga refuses parameters it does not know, so documentId is replaced by the document.
        const { documentId: _, ...rest } = params as GraphQLParams & { documentId?: unknown };
        setParams({ ...rest, query: document });
        return;
      }
      if (!only) return;
      if (typeof params.query === 'string') {
        // Covers APQ registrations too: hash and query of a document outside the manifest.
        if (!documents.includes(params.query)) {
          throw refuse('refused', new PersistedQueryNotAllowedError(AD_HOC_MESSAGE, { overHttp: true }));
        }
        return;
      }
      const hash = persistedQueryHash(params.extensions);
      if (hash !== undefined && documents.get(hash) === undefined) {
        throw refuse('miss', new PersistedQueryNotAllowedError(UNKNOWN_HASH_MESSAGE, { overHttp: true }));
      }
      // A manifest hash: the persisted-queries plugin resolves it. Neither query nor hash: Yoga
      // answers "Must provide query string."
    },
    onParse({ params }) {
      if (!only) return;
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      if (!documents.includes(source))
        throw refuse('refused', new PersistedQueryNotAllowedError(AD_HOC_MESSAGE, { overHttp: false }));
    },
  };
}

/** `documentId` from the JSON body, or from the URL of a GET (Yoga's GET parser drops it). */
function documentIdOf(params: GraphQLParams, request: Request): string | undefined {
  let id: unknown = (params as { documentId?: unknown }).documentId;
  if (id == null && request.method === 'GET') id = new URL(request.url, 'http://localhost').searchParams.get('documentId');
  if (id == null || id === '') return undefined;
  if (typeof id !== 'string') throw new DocumentIdMisuseError('documentId must be a string.');
  return id;
}

function persistedQueryHash(extensions: GraphQLParams['extensions']): string | undefined {
  const hash = (extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
  return typeof hash === 'string' ? hash : undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
