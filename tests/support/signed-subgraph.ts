import { SIGNATURE_HEADER, SIGNATURE_PARAM, signContent, WEBSOCKET_SIGNED_CONTENT } from '../../lib/kernel/request-signature.js';
import type { TestPlatform } from './platform.js';

/**
 * The header that makes `graphql(subgraphUrl, query, variables)` (support/graphql.ts) a
 * request signed like the gateway's: the signature covers the exact body that helper sends.
 */
export function signedFor(
  platform: TestPlatform,
  query: string,
  variables: Record<string, unknown> = {},
): Record<string, string> {
  return { [SIGNATURE_HEADER]: signContent(platform.config.subgraphSigning.secret, JSON.stringify({ query, variables })) };
}

/** connection_init params of a graphql-ws client on a subgraph, signed like the gateway's. */
export function signedConnectionParams(secret: string): Record<string, string> {
  return { [SIGNATURE_PARAM]: signContent(secret, WEBSOCKET_SIGNED_CONTENT) };
}
