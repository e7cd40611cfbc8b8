import type { Plugin } from 'graphql-yoga';

/**
 * `X-Accel-Buffering: no` on streamed results (text/event-stream, multipart/mixed): an nginx in
 * front with its default `proxy_buffering on` would otherwise hold events back until its buffer
 * fills. deploy/nginx.conf turns buffering off for everything; an operator's own nginx need not.
 */
export function useEventStreamHeaders(): Plugin {
  return {
    onResponse({ response }) {
      const contentType = response.headers.get('content-type') ?? '';
      if (contentType.startsWith('text/event-stream') || contentType.startsWith('multipart/mixed')) {
        response.headers.set('x-accel-buffering', 'no');
      }
    },
  };
}
