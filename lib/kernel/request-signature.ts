import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Proof that a request to a subgraph comes from the gateway (or from another subgraph): an
 * HMAC-SHA256 of a timestamp and the request body with the secret they share
 * (SUBGRAPH_SIGNING_SECRET), sent as `x-chitlaq-signature: t=<unix ms>,v1=<hex>`. The shape of
 * Hive Gateway's upstream signature and Stripe's webhook signatures: the timestamp is signed
 * too, so a captured request can be replayed for `maxAgeMs` at most.
 */
export const SIGNATURE_HEADER = 'x-chitlaq-signature';

/** The key of the signature in a graphql-ws `connection_init` payload. */
export const SIGNATURE_PARAM = 'signature';

/** What a graphql-ws connection signs in its `connection_init` payload (`signature`): it has no body. */
export const WEBSOCKET_SIGNED_CONTENT = 'graphql-transport-ws connection_init';

/** How old (or how far in the future, for clocks apart) a signature may be. */
export const SIGNATURE_MAX_AGE_MS = 60_000;

export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';

function digest(secret: string, timestamp: number, content: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(content).digest();
}

/** The header value signing `content` (a request body) at `now`. */
export function signContent(secret: string, content: string, now = Date.now()): string {
  return `t=${now},v1=${digest(secret, now, content).toString('hex')}`;
}

const HEADER_PATTERN = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/;

/**
 * What is wrong with a header value before any hashing (absent, malformed, stale), or
 * undefined: a subgraph refuses those without reading the body.
 */
export function signatureProblem(
  header: string | null | undefined,
  options: { now?: number; maxAgeMs?: number } = {},
): Exclude<SignatureCheck, 'valid' | 'mismatch'> | undefined {
  if (header === null || header === undefined || header === '') return 'missing';
  const match = HEADER_PATTERN.exec(header.trim());
  if (match === null) return 'malformed';
  const age = Math.abs((options.now ?? Date.now()) - Number(match[1]));
  return age > (options.maxAgeMs ?? SIGNATURE_MAX_AGE_MS) ? 'stale' : undefined;
}

/** Checks a header value against `content` (the request body), in constant time. */
export function checkSignature(
  secret: string,
  header: string | null | undefined,
  content: string,
  options: { now?: number; maxAgeMs?: number } = {},
): SignatureCheck {
  const problem = signatureProblem(header, options);
  if (problem !== undefined) return problem;
  const match = HEADER_PATTERN.exec((header as string).trim()) as RegExpExecArray;
  const expected = digest(secret, Number(match[1]), content);
  return timingSafeEqual(expected, Buffer.from(match[2] as string, 'hex')) ? 'valid' : 'mismatch';
}
