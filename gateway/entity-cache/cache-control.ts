import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';

/** What a subgraph's `Cache-Control` answer header allows: storing at all, and for how long at most. */
export interface SubgraphCacheControl {
  readonly store: boolean;
  readonly maxAgeSeconds: number | undefined;
}

const UNRESTRICTED: SubgraphCacheControl = { store: true, maxAgeSeconds: undefined };

/**
 * Reads the `Cache-Control` header a data source passed along with the answer
 * (`response.http.headers`, as Apollo's RemoteGraphQLDataSource does): `no-store` and `private`
 * (an answer for this requester only) are never stored, `max-age=N` (or `s-maxage`, which
 * speaks to shared caches like this one and wins) bounds the TTL, and `max-age=0` is `no-store`.
 */
export function subgraphCacheControl(response: GatewayGraphQLResponse): SubgraphCacheControl {
  const header = response.http?.headers?.get('cache-control');
  return header === null || header === undefined ? UNRESTRICTED : parseCacheControl(header);
}

export function parseCacheControl(header: string): SubgraphCacheControl {
  let maxAge: number | undefined;
  let sharedMaxAge: number | undefined;
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', value] = part
      .trim()
      .split('=', 2)
      .map((each) => each.trim());
    if (name === 'no-store' || name === 'private' || name === 'no-cache') return { store: false, maxAgeSeconds: 0 };
    const seconds = value === undefined ? Number.NaN : Number(value.replace(/^"|"$/g, ''));
    if (name === 'max-age' && Number.isFinite(seconds)) maxAge = seconds;
    if (name === 's-maxage' && Number.isFinite(seconds)) sharedMaxAge = seconds;
  }
  const bound = sharedMaxAge ?? maxAge;
  if (bound !== undefined && bound <= 0) return { store: false, maxAgeSeconds: 0 };
  return { store: true, maxAgeSeconds: bound };
}
