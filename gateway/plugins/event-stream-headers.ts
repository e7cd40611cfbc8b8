import type { Plugin } from 'graphql-yoga';

/**
 * A result written event by event (text/event-stream, multipart/*): nothing on the way may hold
 * it back, neither a compressor (compression.ts) nor a proxy's buffer (below).
 */
export function isStreamedResult(headers: Headers): boolean {
  const contentType = headers.get('content-type') ?? '';
  return contentType.startsWith('text/event-stream') || contentType.startsWith('multipart/');
}

/**
 * `X-Accel-Buffering: no` on streamed results: an nginx in front with its default
 * `proxy_buffering on` would otherwise hold events back until its buffer fills.
 * deploy/nginx.conf turns buffering off for everything; an operator's own nginx need not.
 */
export function useEventStreamHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (isStreamedResult(response.headers)) response.headers.set('x-accel-buffering', 'no');
    },
  };
}
