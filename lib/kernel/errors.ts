import { GraphQLError } from 'graphql';

/** The closed set of `extensions.code` values that API.md promises to clients (metrics label errors with them). */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'RATE_LIMITED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_ALLOWED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_TOO_COMPLEX',
  'BAD_REQUEST',
  'REQUEST_ENTITY_TOO_LARGE',
  'SUBGRAPH_UNAVAILABLE',
  'SUBGRAPH_TIMEOUT',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Base of every error a client is meant to see. Yoga's masking lets GraphQLErrors through
 * and replaces everything else with "Unexpected error.", so only these reach clients.
 */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    this.code = code;
    this.name = new.target.name;
  }
}

/** The request carries no valid token, or the credentials were wrong. HTTP 401 when raised before execution. */
export class UnauthenticatedError extends AppError {
  constructor(message = 'You must be signed in to do this.') {
    super('UNAUTHENTICATED', message, { http: { status: 401 } });
  }
}

/** A verified token whose account no longer exists (or never did): its holder must sign in again. */
export class AccountGoneError extends UnauthenticatedError {
  constructor() {
    super('This account no longer exists: sign in again.');
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this.') {
    super('FORBIDDEN', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** Invalid input; `field` names the argument or input field at fault so forms can point at it. */
export class BadUserInputError extends AppError {
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super('BAD_USER_INPUT', message, field === undefined ? {} : { field });
    this.field = field;
  }
}

/** A unique value is already taken (email, username, ...). */
export class ConflictError extends AppError {
  constructor(message: string, field?: string) {
    super('CONFLICT', message, field === undefined ? {} : { field });
  }
}

/** Too much, too fast: try again after `retryAfter` seconds (0: at once, e.g. resubscribe). */
export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number, extensions: Record<string, unknown> = {}) {
    super('RATE_LIMITED', message, { retryAfter: retryAfterSeconds, ...extensions });
  }
}

/**
 * The gateway could not get a GraphQL answer from a subgraph (connection refused or reset, an
 * answer that is not GraphQL): its fields are null with this error, the others' still answer.
 * Names the subgraph, never its address.
 */
export class SubgraphUnavailableError extends AppError {
  constructor(serviceName: string) {
    super('SUBGRAPH_UNAVAILABLE', `The ${serviceName} service is unavailable.`, { serviceName });
  }
}

/** A subgraph did not answer within SUBGRAPH_TIMEOUT_MS; like SubgraphUnavailableError otherwise. */
export class SubgraphTimeoutError extends AppError {
  constructor(serviceName: string) {
    super('SUBGRAPH_TIMEOUT', `The ${serviceName} service did not answer in time.`, { serviceName });
  }
}

/**
 * A subgraph's SQL statement ran past DATABASE_STATEMENT_TIMEOUT_MS and the server cancelled it:
 * for the client the same as the gateway's deadline (SUBGRAPH_TIMEOUT, try again later).
 */
export class StatementTimeoutError extends AppError {
  constructor(serviceName: string | undefined) {
    const message =
      serviceName === undefined ? 'The service did not answer in time.' : `The ${serviceName} service did not answer in time.`;
    super('SUBGRAPH_TIMEOUT', message, serviceName === undefined ? {} : { serviceName });
  }
}

/** Throws UNAUTHENTICATED unless a viewer is present; narrows the type for the caller. */
export function requireViewer<V>(viewer: V | null | undefined): V {
  if (viewer === null || viewer === undefined) throw new UnauthenticatedError();
  return viewer;
}
