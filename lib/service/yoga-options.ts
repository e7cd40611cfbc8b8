import { GraphQLError } from 'graphql';
import { maskError, type Plugin, useReadinessCheck, type YogaServerOptions } from 'graphql-yoga';
import { isStatementTimeout } from '../infra/db/errors.js';
import { type ServiceMetrics, useMetrics } from '../infra/metrics.js';
import { isDraining } from '../infra/shutdown.js';
import { StatementTimeoutError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { useNulFreeArguments } from './nul-free-arguments.js';
import { useSlowRequestWarnings } from './slow-requests.js';

/** Where every process answers GraphQL over HTTP (Yoga's default). */
export const GRAPHQL_ENDPOINT = '/graphql';

/**
 * Options every process's Yoga shares: errors masked in every environment (a client never sees
 * a stack trace or SQL; the cause is logged here instead), logging through pino, /healthz,
 * /readyz and /metrics (with the counting of GraphQL operations).
 */
export function commonYogaOptions(options: {
  logger: Logger;
  /** The service's registry, served at /metrics; its operation metrics are recorded here. */
  metrics: ServiceMetrics;
  /** Throws or returns false when a dependency (database, Redis) is unreachable. */
  isReady: () => Promise<boolean>;
  /** Errors to pass to the client as they are (the gateway: errors a subgraph already masked). */
  isClientSafe?: (error: unknown) => boolean;
  /** The subgraph this process serves, named in the errors of its statements that time out. */
  serviceName?: string;
  /** Requests answered this late or later log a warning (SLOW_REQUEST_MS). */
  slowRequestMs: number;
}): Pick<YogaServerOptions<object, object>, 'maskedErrors' | 'logging' | 'healthCheckEndpoint'> & { plugins: Plugin[] } {
  const { logger } = options;
  const mask = createErrorMasker(logger, options.isClientSafe, options.serviceName);
  return {
    maskedErrors: { maskError: (error, message) => mask(error, message) },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error({ err: args[0] }, args.slice(1).map(String).join(' ') || 'yoga error'),
    },
    healthCheckEndpoint: '/healthz',
    plugins: [
      // First: /metrics answers before any other plugin sees the request.
      useMetrics(options.metrics),
      useReadinessCheck({
        endpoint: '/readyz',
        async check() {
          try {
            // Draining for shutdown: out of the load balancer's rotation, still answering.
            if (isDraining()) return false;
            return await options.isReady();
          } catch (error) {
            logger.warn({ err: error }, 'readiness check failed');
            return false;
          }
        },
      }),
      useSlowRequestWarnings({ logger, thresholdMs: options.slowRequestMs, endpoint: GRAPHQL_ENDPOINT }),
      // Before any executor: a NUL never reaches PostgreSQL (lib/service/nul-free-arguments.ts).
      useNulFreeArguments(),
    ],
  };
}

/** What a client reads instead of an internal error (Yoga's default wording). */
export const UNEXPECTED_ERROR_MESSAGE = 'Unexpected error.';

/**
 * The masking rule of every process, for HTTP (Yoga) and WebSockets alike: a GraphQLError
 * that is not wrapping something else (our AppErrors, parse and validation errors) reaches
 * the client as it is; anything else becomes "Unexpected error." with code
 * INTERNAL_SERVER_ERROR, and its cause is logged here. A statement the database cancelled for
 * its statement_timeout is SUBGRAPH_TIMEOUT (StatementTimeoutError): the client may retry.
 */
export function createErrorMasker(
  logger: Logger,
  isClientSafe?: (error: unknown) => boolean,
  serviceName?: string,
): (error: unknown, message?: string) => Error {
  return (error, message = UNEXPECTED_ERROR_MESSAGE) => {
    if (isClientSafe?.(error) === true) return error as Error;
    if (isStatementTimeout(unwrap(error))) {
      logger.warn({ err: unwrap(error) }, 'a SQL statement ran past statement_timeout');
      return located(error, new StatementTimeoutError(serviceName));
    }
    const masked = maskError(error, message, false);
    // Yoga may hand back a copy of an error it lets through (variables that do not fit): only
    // the ones it replaced with the generic message are unexpected.
    if (masked !== error && masked.message === message) {
      logger.error({ err: unwrap(error) }, 'unexpected error while handling a request');
    }
    return withCode(masked);
  };
}

/**
 * Every error a client reads carries a code (API.md). graphql-js reports variables that do not
 * fit their types ('Variable "$tag" of required type "String!" was not provided.') with none:
 * they are the client's input, BAD_USER_INPUT, as Apollo Server calls them too.
 */
function withCode(error: Error): Error {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return error;
  if (!error.message.startsWith('Variable "$')) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}

/** `replacement` at the place in the result where `error` was raised (its path and nodes). */
function located(error: unknown, replacement: GraphQLError): GraphQLError {
  if (!(error instanceof GraphQLError)) return replacement;
  return new GraphQLError(replacement.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: replacement.extensions,
  });
}

function unwrap(error: unknown): unknown {
  const original = (error as { originalError?: unknown } | null)?.originalError;
  return original ?? error;
}
