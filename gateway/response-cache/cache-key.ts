import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';

/**
 * The session of a response shared by every signed-in viewer with its viewer-dependent leaves
 * left empty (viewer-holes.ts): apart from the public key and every viewer's own.
 */
export const VIEWER_HOLES_SESSION = 'viewer-holes';
/** The session of a per-viewer response for every request without a viewer. */
export const ANONYMOUS_SESSION = 'viewer:anonymous';

/**
 * The key of a response: what @envelop/response-cache's default hashed (document, operation,
 * variables with sorted keys, session), with node:crypto's synchronous sha256 instead of
 * WebCrypto's, whose promise and buffer copies were a tenth of the gateway's CPU on cache hits.
 */
export function responseCacheKey(params: {
  supergraph: string;
  documentString: string;
  operationName: string | null | undefined;
  variableValues: Readonly<Record<string, unknown>> | null | undefined;
  sessionId: string | undefined;
}): string {
  return createHash('sha256')
    .update(
      [
        params.supergraph,
        params.documentString,
        params.operationName ?? '',
        stableStringify(params.variableValues ?? {}),
        params.sessionId ?? '',
      ].join('|'),
    )
    .digest('hex');
}

/**
 * Whose response a key names: nobody's (public), every signed-in viewer's with the
 * viewer-dependent leaves left to fill (viewer-holes.ts), or one viewer's. Anonymous requests
 * all see the same values, so they share one complete response and a hit asks no subgraph.
 */
export function responseSession(
  document: { readonly perViewer: boolean; readonly sharesViewerHoles: boolean },
  viewer: { readonly id: string } | null,
): string | undefined {
  if (!document.perViewer) return undefined;
  if (viewer === null) return ANONYMOUS_SESSION;
  return document.sharesViewerHoles ? VIEWER_HOLES_SESSION : `viewer:${viewer.id}`;
}
