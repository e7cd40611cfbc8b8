import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';
import { isStreamedResult } from './event-stream-headers.js';

/** Bodies smaller than this go out as they are: compressing them costs more than it saves. */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

/** The encodings the gateway answers with, and how it compresses a body for each. */
export const compressors = {
  br: (body: Buffer) =>
    promisify(brotliCompress)(body, {
      // Quality 4 is close to gzip's speed with better ratios; the default (11) is for static files.
      params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  gzip: (body: Buffer) => promisify(gzip)(body),
} as const;
export type Encoding = keyof typeof compressors;

/**
 * gzip or brotli for responses over 1 KiB, by the client's Accept-Encoding. Only whole bodies
 * are compressed: streamed results (text/event-stream, multipart/mixed) must reach the client
 * event by event, and a compressor would hold them back. @whatwg-node's useContentEncoding has
 * no threshold and no brotli on Node 20, hence this.
 */
export function useCompression(): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (response.body === null || response.headers.has('content-encoding')) return;
      if (isStreamedResult(response.headers)) return;
      const encoding = preferredEncoding(request.headers.get('accept-encoding'));
      if (encoding === undefined) {
        // The response as it is, not rebuilt around `response.body`: reading `body` turns a
        // string body into a stream, and @whatwg-node/server then pipes it to the socket
        // instead of writing it at once (a stream pipeline per response).
        response.headers.append('vary', 'accept-encoding');
        return;
      }
      const headers = new fetchAPI.Headers(response.headers);
      // Caches must keep the compressed and the plain variant apart.
      headers.append('vary', 'accept-encoding');
      const body = Buffer.from(await response.arrayBuffer());
      if (body.length < COMPRESSION_THRESHOLD_BYTES) {
        setResponse(new fetchAPI.Response(body, { status: response.status, statusText: response.statusText, headers }));
        return;
      }
      const compressed = await compressors[encoding](body);
      headers.set('content-encoding', encoding);
      headers.set('content-length', String(compressed.length));
      setResponse(new fetchAPI.Response(compressed, { status: response.status, statusText: response.statusText, headers }));
    },
  };
}

/** br over gzip when both are acceptable; honours `q=0` refusals. */
export function preferredEncoding(acceptEncoding: string | null): Encoding | undefined {
  if (acceptEncoding === null) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name.trim(), q === undefined ? 1 : Number(q.slice(2)));
  }
  const acceptable = (name: Encoding) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (acceptable('br')) return 'br';
  if (acceptable('gzip')) return 'gzip';
  return undefined;
}
