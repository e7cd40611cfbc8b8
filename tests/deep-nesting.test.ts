import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signContent } from '../lib/kernel/request-signature.js';
import { usePlatform } from './support/platform.js';
import { connectSocket } from './support/websocket.js';

const platform = usePlatform();

const HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

async function post(target: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(target, { method: 'POST', headers: { ...HEADERS, ...headers }, body });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[] },
  };
}
const codes = (body: { errors?: { extensions?: { code?: string } }[] }) => (body.errors ?? []).map((e) => e.extensions?.code);

describe('deeply nested input', () => {
  for (const depth of [3000, 20_000]) {
    it(`answers a ${depth}-deep list literal with 400 GRAPHQL_PARSE_FAILED`, async () => {
      const response = await post(platform.gatewayUrl, JSON.stringify({ query: `{ __typename(a: ${nested(depth)}) }` }));
      expect(response.text).not.toMatch(/RangeError|stack/i);
      expect(response.status).toBe(400);
      expect(codes(response.body)).toEqual(['GRAPHQL_PARSE_FAILED']);
    });
  }
  it('answers a 3000-deep input object literal with 400 GRAPHQL_PARSE_FAILED', async () => {
    const query = `{ __typename(a: ${'{a:'.repeat(3000)}1${'}'.repeat(3000)}) }`;
    const response = await post(platform.gatewayUrl, JSON.stringify({ query }));
    expect(response.status).toBe(400);
    expect(codes(response.body)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });
  it('refuses deeply nested JSON variables with a GraphQL error, not a 500', async () => {
    const variables = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const response = await post(platform.gatewayUrl, `{"query":"query($a:[Int]){ __typename }","variables":${variables}}`);
    expect(response.status).toBeLessThan(500);
    expect(response.body.errors?.length).toBeGreaterThan(0);
    const object = `{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const second = await post(platform.gatewayUrl, `{"query":"{ __typename }","variables":${object}}`);
    expect(second.status).toBeLessThan(500);
    // The platform still answers.
    expect((await post(platform.gatewayUrl, '{"query":"{ __typename }"}')).body).toEqual({ data: { __typename: 'Query' } });
  });
  it('answers a 3000-deep list literal over the WebSocket with GRAPHQL_PARSE_FAILED and keeps the socket', async () => {
    const socket = connectSocket(platform.gatewayUrl);
    await socket.connected;
    const outcome = await new Promise<unknown>((resolve) => {
      socket.client.subscribe(
        { query: `{ __typename(a: ${nested(3000)}) }` },
        { next: resolve, error: resolve, complete: () => undefined },
      );
    });
    expect((outcome as { extensions?: { code?: string } }[]).map((error) => error.extensions?.code)).toEqual([
      'GRAPHQL_PARSE_FAILED',
    ]);
    const next = await new Promise<unknown>((resolve) => {
      socket.client.subscribe({ query: '{ __typename }' }, { next: resolve, error: resolve, complete: () => undefined });
    });
    expect(next).toEqual({ data: { __typename: 'Query' } });
    await socket.dispose();
  });
  it('answers a 3000-deep list literal on a subgraph with 400 GRAPHQL_PARSE_FAILED', async () => {
    for (const subgraph of Object.values(platform.subgraphs)) {
      const body = JSON.stringify({ query: `{ __typename(a: ${nested(3000)}) }` });
      const response = await post(subgraph.url, body, {
        [SIGNATURE_HEADER]: signContent(platform.config.subgraphSigning.secret, body),
      });
      expect(response.status).toBe(400);
      expect(codes(response.body)).toEqual(['GRAPHQL_PARSE_FAILED']);
    }
  });
});
