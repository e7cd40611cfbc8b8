import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';

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
