import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * One id per HTTP request, in every log line written while it is handled (createLogger's
 * mixin) and in the `x-request-id` response header. The gateway takes the client's (a proxy's)
 * id or makes one, and forwards it on every subgraph fetch, so one grep finds a request's
 * lines in every process.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id may be: 1-128 characters that need no escaping in a header or a log
 * line (UUIDs, ULIDs, nginx's $request_id, AWS's `Root=1-…`). Anything else is replaced.
 */
const ACCEPTED_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/** The caller's id when it is acceptable, else a new UUID. */
export function requestIdFrom(header: string | readonly string[] | null | undefined): string {
  const value = typeof header === 'string' ? header.trim() : undefined;
  return value !== undefined && ACCEPTED_ID.test(value) ? value : randomUUID();
}

const current = new AsyncLocalStorage<string>();

/** Runs `handle` (a request's handling, to its last callback) with `id` as the current request id. */
export function runWithRequestId<T>(id: string, handle: () => T): T {
  return current.run(id, handle);
}

/** The id of the request being handled, if any: undefined outside a request (start-up, timers, sockets). */
export function currentRequestId(): string | undefined {
  return current.getStore();
}
