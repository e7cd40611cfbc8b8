import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST, print } from 'graphql';

/**
 * Queries and mutations over HTTP with nothing but `fetch` and the typed documents of
 * clients/generated/: the document's types give the variables and the result, so a renamed
 * field or a missing variable fails `tsc` (CI type-checks this file against the generated types).
 */

/** The `extensions.code` values of docs/API.md: what an app branches on, never the message. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'PERSISTED_QUERY_NOT_ALLOWED'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'OPERATION_TOO_COMPLEX'
  | 'BAD_REQUEST'
  | 'REQUEST_ENTITY_TOO_LARGE'
  | 'SUBGRAPH_UNAVAILABLE'
  | 'SUBGRAPH_TIMEOUT'
  | 'INTERNAL_SERVER_ERROR';

/** A GraphQL error as the gateway sends it. */
export interface ApiError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: {
    code?: ErrorCode;
    /** RATE_LIMITED: seconds to wait. */
    retryAfter?: number;
    /** BAD_USER_INPUT, CONFLICT: the argument or input field at fault. */
    field?: string;
    /** SUBGRAPH_UNAVAILABLE, SUBGRAPH_TIMEOUT: which service. */
    serviceName?: string;
    [key: string]: unknown;
  };
}

/** An answer with errors: a refusal (no data), or partial data with the errors of what is missing. */
export class ApiRequestError<TResult = unknown> extends Error {
  constructor(
    readonly status: number,
    readonly errors: readonly ApiError[],
    /** What did answer (a field of an unavailable subgraph is null, the others are here). */
    readonly data: TResult | null,
    /** From `extensions.retryAfter` or the `Retry-After` header. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; '));
    this.name = 'ApiRequestError';
  }

  get codes(): ErrorCode[] {
    return this.errors.flatMap((error) => (error.extensions?.code === undefined ? [] : [error.extensions.code]));
  }

  has(code: ErrorCode): boolean {
    return this.codes.includes(code);
  }
}

export interface HttpClientOptions {
  /** The gateway's GraphQL URL, e.g. http://localhost:4000/graphql. */
  url: string;
  /** The token of `register` or `login`; none: anonymous. */
  token?: string;
  /** Another fetch (a test's, React Native's); the global one by default. */
  fetch?: typeof fetch;
}

export interface ExecuteOptions {
  /**
   * Send the document's hash (`documentId`) instead of its text: smaller requests, and the only
   * way through a gateway with PERSISTED_OPERATIONS_ONLY=true. Needs codegen's
   * `persistedDocuments`, which puts the hash in the document's `__meta__.hash`.
   */
  persisted?: boolean;
  signal?: AbortSignal;
}

/** Variables may be left out when the operation has no required one. */
type VariablesArgument<TVariables> =
  Record<string, never> extends TVariables
    ? [variables?: TVariables, options?: ExecuteOptions]
    : [variables: TVariables, options?: ExecuteOptions];

export interface HttpClient {
  execute<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...rest: VariablesArgument<TVariables>
  ): Promise<TResult>;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const fetchImpl = options.fetch ?? fetch;
  async function execute<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...[variables, executeOptions]: VariablesArgument<TVariables>
  ): Promise<TResult> {
    const operationName = getOperationAST(document)?.name?.value;
    const body = executeOptions?.persisted
      ? { documentId: documentIdOf(document), operationName, variables }
      : { query: print(document), operationName, variables };
    const response = await fetchImpl(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        // The GraphQL-over-HTTP media type: refusals come with a meaningful status.
        accept: 'application/graphql-response+json, application/json',
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      },
      body: JSON.stringify(body),
      ...(executeOptions?.signal === undefined ? {} : { signal: executeOptions.signal }),
    });
    const result = (await response.json()) as { data?: unknown; errors?: ApiError[] };
    if (result.errors !== undefined && result.errors.length > 0) {
      throw new ApiRequestError(response.status, result.errors, result.data ?? null, retryAfterOf(result.errors, response));
    }
    if (!response.ok || result.data === undefined || result.data === null) {
      throw new ApiRequestError(response.status, [{ message: `HTTP ${response.status} without data` }], null, undefined);
    }
    return result.data as TResult;
  }
  return { execute };
}

/** The trusted-documents hash codegen embeds in each document (`sha256:<hex>`). */
export function documentIdOf(document: object): string {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string') throw new Error('This document has no persisted hash: enable persistedDocuments in codegen');
  return hash;
}

function retryAfterOf(errors: readonly ApiError[], response: Response): number | undefined {
  const fromError = errors.find((error) => typeof error.extensions?.retryAfter === 'number')?.extensions?.retryAfter;
  if (fromError !== undefined) return fromError;
  const header = response.headers.get('retry-after');
  return header === null || Number.isNaN(Number(header)) ? undefined : Number(header);
}
