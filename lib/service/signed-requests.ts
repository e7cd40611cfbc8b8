import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../kernel/errors.js';
import { checkSignature, SIGNATURE_HEADER, type SignatureCheck, signatureProblem } from '../kernel/request-signature.js';

const REFUSALS: Record<Exclude<SignatureCheck, 'valid'>, { status: number; code: ErrorCode; message: string }> = {
  missing: { status: 401, code: 'UNAUTHENTICATED', message: 'This subgraph answers only requests signed by the gateway.' },
  malformed: { status: 401, code: 'UNAUTHENTICATED', message: 'The request signature is malformed.' },
  stale: { status: 401, code: 'UNAUTHENTICATED', message: 'The request signature has expired.' },
  mismatch: { status: 403, code: 'FORBIDDEN', message: 'The request signature does not match.' },
};

/**
 * Yoga plugin of every subgraph: a request to `endpoint` is answered only when it is a POST
 * whose body is signed with the gateway's secret (lib/kernel/request-signature.ts), checked before
 * anything is parsed. An unsigned, malformed or stale signature is refused with 401
 * UNAUTHENTICATED without reading the body, a wrong one with 403 FORBIDDEN; a body over
 * `maxBodyBytes` with 413. Other paths (/healthz, /readyz, /metrics) stay open.
 *
 * The body is read here once, bounded, and handed to Yoga as the parsed parameters: the
 * signature covers exactly the bytes that are executed.
 */
export function useSignedRequestsOnly(options: { secret: string; endpoint: string; maxBodyBytes: number }): Plugin {
  return {
    async onRequestParse({ request, url, endResponse, setRequestParser, fetchAPI }) {
      if (url.pathname !== options.endpoint) return;
      const refuse = (status: number, code: ErrorCode, message: string) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
            status,
            headers: { 'content-type': 'application/graphql-response+json; charset=utf-8' },
          }),
        );
      if (request.method !== 'POST') {
        refuse(405, 'BAD_REQUEST', 'This subgraph answers only signed POST requests.');
        return;
      }
      const header = request.headers.get(SIGNATURE_HEADER);
      const problem = signatureProblem(header);
      if (problem !== undefined) {
        const refusal = REFUSALS[problem];
        refuse(refusal.status, refusal.code, refusal.message);
        return;
      }
      const body = await readBounded(request, options.maxBodyBytes);
      if (body === undefined) {
        refuse(413, 'REQUEST_ENTITY_TOO_LARGE', `Request body is larger than ${options.maxBodyBytes} bytes.`);
        return;
      }
      const check = checkSignature(options.secret, header, body);
      if (check !== 'valid') {
        const refusal = REFUSALS[check];
        refuse(refusal.status, refusal.code, refusal.message);
        return;
      }
      let params: unknown;
      try {
        params = JSON.parse(body);
      } catch {
        refuse(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
        return;
      }
      setRequestParser(() => params as never);
    },
  };
}

/** The body as text, or undefined once it passes `maxBytes` (the rest is not read). */
async function readBounded(request: Request, maxBytes: number): Promise<string | undefined> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBytes) return undefined;
  if (request.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
