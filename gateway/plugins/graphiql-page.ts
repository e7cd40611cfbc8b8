import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { preferredEncoding } from './compression.js';

/** Distinct pages kept (each ~9 MB, plus ~2 MB per compressed copy): one per demo login and protocol. */
const PAGES_KEPT = 4;

type Encoding = NonNullable<ReturnType<typeof preferredEncoding>>;

/** A body Response accepts: bytes over a plain ArrayBuffer. */
type Bytes = Buffer<ArrayBuffer>;

const compressors: Record<Encoding, (body: Bytes) => Promise<Buffer>> = {
  // Quality 4, as gateway/plugins/compression.ts: 9 MB in about 1.5 s, once per page.
  br: (body) =>
    promisify(brotliCompress)(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  gzip: (body) => promisify(gzip)(body),
};

interface Page {
  /** The HTML in UTF-8: half the memory of the JS string, which holds non-Latin-1 text as UTF-16. */
  readonly body: Bytes;
  /** A hash of the body; each encoding's ETag adds its name (a distinct representation). */
  readonly hash: string;
  readonly encoded: Partial<Record<Encoding, Promise<Bytes>>>;
}

/** Yoga's three GraphiQL hooks: the options of a request's page, its renderer, and the plugin that serves it. */
export interface GraphiQLPage {
  /** Yoga's `graphiql` option. */
  readonly options: (request: Request) => GraphiQLOptions;
  /** Yoga's `renderGraphiQL` option: the page for these options, rendered once. */
  readonly render: (options: GraphiQLOptions) => Bytes;
  /** ETag, `Cache-Control: no-cache` and 304, and the page compressed once; before useCompression. */
  readonly plugin: Plugin;
}

/**
 * GraphiQL with all of its code in the page (@graphql-yoga/render-graphiql, pinned in
 * package.json): nothing is fetched from a CDN, so it works offline. The page is ~9 MB, so
 * each distinct page is rendered, hashed and compressed once and then reused; browsers
 * revalidate it (`no-cache`) and get a 304 while it has not changed. It changes with the
 * options, e.g. when a demo login is announced.
 */
export function serveGraphiQL(optionsFor: (request: Request) => GraphiQLOptions): GraphiQLPage {
  const pages = new Map<string, Page>();
  /** The page each GraphiQL request was answered with, for the plugin to serve. */
  const served = new WeakMap<Request, Page>();
  const pageFor = (options: GraphiQLOptions): Page => {
    const key = JSON.stringify(options);
    const cached = pages.get(key);
    if (cached !== undefined) return cached;
    const body = Buffer.from(renderGraphiQL(options), 'utf8');
    const page: Page = { body, hash: createHash('sha256').update(body).digest('base64url').slice(0, 32), encoded: {} };
    pages.set(key, page);
    // Oldest first in a Map: an old demo login's page is the one to go.
    for (const old of pages.keys()) {
      if (pages.size <= PAGES_KEPT) break;
      pages.delete(old);
    }
    return page;
  };
  const encodedBody = (page: Page, encoding: Encoding): Promise<Bytes> => {
    page.encoded[encoding] ??= compressors[encoding](page.body).then(
      // zlib's output is over a plain ArrayBuffer; only its type says otherwise.
      (compressed) => compressed as Bytes,
      (error: unknown) => {
        delete page.encoded[encoding];
        throw error;
      },
    );
    return page.encoded[encoding];
  };
  return {
    options(request) {
      const options = optionsFor(request);
      served.set(request, pageFor(options));
      return options;
    },
    render: (options) => pageFor(options).body,
    plugin: {
      async onResponse({ request, response, setResponse, fetchAPI }) {
        const page = served.get(request);
        if (page === undefined || response.status !== 200) return;
        const encoding = preferredEncoding(request.headers.get('accept-encoding'));
        const etag = `"${page.hash}${encoding === undefined ? '' : `-${encoding}`}"`;
        const headers = new fetchAPI.Headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', etag });
        if (matchesEtag(request.headers.get('if-none-match'), etag)) {
          headers.set('vary', 'accept-encoding');
          setResponse(new fetchAPI.Response(null, { status: 304, headers }));
          return;
        }
        if (encoding === undefined) {
          // The client takes no compression; useCompression, next, adds the Vary.
          setResponse(new fetchAPI.Response(page.body, { status: 200, headers }));
          return;
        }
        headers.set('content-encoding', encoding);
        headers.set('vary', 'accept-encoding');
        setResponse(new fetchAPI.Response(await encodedBody(page, encoding), { status: 200, headers }));
      },
    },
  };
}

function matchesEtag(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}
