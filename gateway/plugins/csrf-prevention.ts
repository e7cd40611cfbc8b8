import type { Plugin } from 'graphql-yoga';
import { AppError } from '../../lib/kernel/errors.js';

/** The content types a browser sends cross-origin without a CORS preflight. */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/** Headers a client sets to prove its request went through a preflight (ours and Apollo's). */
export const CSRF_PREFLIGHT_HEADERS = ['x-graphql-csrf', 'apollo-require-preflight'] as const;

export class CsrfPreventedError extends AppError {
  constructor() {
    super(
      'BAD_REQUEST',
      `This request may be a cross-site request forgery: send a JSON content-type or a non-empty ${CSRF_PREFLIGHT_HEADERS.join(' or ')} header.`,
      { http: { status: 400 } },
    );
  }
}

/**
 * Apollo's CSRF rule: a browser sends a cross-origin "simple" request (GET, or POST with one of
 * the three simple content types) without a CORS preflight, so a page on another site could
 * make a visitor's browser run an operation with whatever credentials the browser attaches
 * (cookies, client certificates, a network position behind a firewall). A request is safe when
 * its content-type is not a simple one or it carries a non-empty preflight header, both of
 * which force a preflight. The check runs at request parsing, after GraphiQL (a GET for
 * text/html) and the health endpoints have answered, so they keep working.
 */
export function useCsrfPrevention(): Plugin {
  return {
    onRequestParse({ request }) {
      if (isPreflighted(request)) return;
      throw new CsrfPreventedError();
    },
  };
}

function isPreflighted(request: Request): boolean {
  const contentType = request.headers.get('content-type')?.trim().toLowerCase();
  if (contentType !== undefined && contentType !== '' && !SIMPLE_CONTENT_TYPES.some((simple) => contentType.startsWith(simple))) {
    return true;
  }
  return CSRF_PREFLIGHT_HEADERS.some((header) => (request.headers.get(header) ?? '').trim() !== '');
}
