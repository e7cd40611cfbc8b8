import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../kernel/logger.js';

/** Operation names are the client's text: a bounded piece of one is enough to find it. */
const MAX_OPERATION_NAME = 100;

/**
 * Logs a warning for each request to `endpoint` answered `thresholdMs` or later after it
 * arrived (SLOW_REQUEST_MS; a subscription over SSE: its stream's start), with its method,
 * status, duration and operation name; the line carries the request's id like every other.
 * /metrics and the health checks are not GraphQL requests and never warn.
 */
export function useSlowRequestWarnings(options: { logger: Logger; thresholdMs: number; endpoint: string }): Plugin {
  const started = new WeakMap<Request, number>();
  const operationNames = new WeakMap<Request, string>();
  return {
    onRequest({ request, url }) {
      if (url.pathname === options.endpoint) started.set(request, performance.now());
    },
    onParams({ request, params }) {
      if (typeof params.operationName === 'string' && !operationNames.has(request)) {
        operationNames.set(request, params.operationName.slice(0, MAX_OPERATION_NAME));
      }
    },
    onResponse({ request, response }) {
      const start = started.get(request);
      if (start === undefined) return;
      const durationMs = performance.now() - start;
      if (durationMs < options.thresholdMs) return;
      options.logger.warn(
        {
          method: request.method,
          status: response.status,
          durationMs: Math.round(durationMs),
          operationName: operationNames.get(request) ?? null,
        },
        'slow request',
      );
    },
  };
}
