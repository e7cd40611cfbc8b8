import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SIGNATURE_HEADER, signContent } from '../lib/kernel/request-signature.js';
import { graphql, registerUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';
import { connectToSubgraph, subscribe } from './support/websocket.js';

const platform = usePlatform();
let secret: string;
beforeAll(async () => {
  secret = platform.config.subgraphSigning.secret;
});

const SUBGRAPHS = ['users', 'posts', 'messages'] as const;
const HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };

/** POSTs `body` to a subgraph, signed with `signature` (a header value) when given. */
async function direct(subgraph: (typeof SUBGRAPHS)[number], body: string, signature?: string) {
  const response = await fetch(platform.subgraphs[subgraph].url, {
    method: 'POST',
    headers: { ...HEADERS, ...(signature === undefined ? {} : { [SIGNATURE_HEADER]: signature }) },
    body,
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely, asserting their shape with expect()
  return { status: response.status, body: (await response.json()) as any };
}
const signed = (subgraph: (typeof SUBGRAPHS)[number], body: string) => direct(subgraph, body, signContent(secret, body));
const codes = (body: { errors?: { extensions?: { code?: string } }[] }) => (body.errors ?? []).map((e) => e.extensions?.code);
const typename = JSON.stringify({ query: '{ __typename }' });

describe('subgraphs answer only requests signed by the gateway', () => {
  for (const subgraph of SUBGRAPHS) {
    it(`${subgraph}: refuses an unsigned request with 401 UNAUTHENTICATED`, async () => {
      const response = await direct(subgraph, typename);
      expect(response.status).toBe(401);
      expect(codes(response.body)).toEqual(['UNAUTHENTICATED']);
      expect(response.body.data).toBeUndefined();
    });

    it(`${subgraph}: refuses a wrong, a stale and a malformed signature`, async () => {
      const wrongSecret = await direct(subgraph, typename, signContent('another-secret-of-at-least-32-characters', typename));
      expect([wrongSecret.status, codes(wrongSecret.body)]).toEqual([403, ['FORBIDDEN']]);
      const otherBody = await direct(subgraph, typename, signContent(secret, JSON.stringify({ query: '{ _service { sdl } }' })));
      expect([otherBody.status, codes(otherBody.body)]).toEqual([403, ['FORBIDDEN']]);
      const stale = await direct(subgraph, typename, signContent(secret, typename, Date.now() - 61_000));
      expect([stale.status, codes(stale.body)]).toEqual([401, ['UNAUTHENTICATED']]);
      const malformed = await direct(subgraph, typename, 'v1=abc');
      expect([malformed.status, codes(malformed.body)]).toEqual([401, ['UNAUTHENTICATED']]);
    });

    it(`${subgraph}: answers a request signed with the shared secret`, async () => {
      const response = await signed(subgraph, typename);
      expect(response).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    });

    it(`${subgraph}: refuses a GET (its query is outside the signed body)`, async () => {
      const response = await fetch(`${platform.subgraphs[subgraph].url}?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { accept: 'application/json', [SIGNATURE_HEADER]: signContent(secret, '') },
      });
      expect(response.status).toBe(405);
    });

    it(`${subgraph}: keeps /healthz, /readyz and /metrics open`, async () => {
      const origin = new URL(platform.subgraphs[subgraph].url).origin;
      for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${origin}${path}`)).status).toBe(200);
    });

    it(`${subgraph}: closes an unsigned WebSocket with 4403 and serves a signed one`, async () => {
      const wsUrl = platform.subgraphs[subgraph].url.replace(/^http/, 'ws');
      const closed = await new Promise<number>((resolve) => {
        const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
        socket.on('close', (code) => resolve(code));
      });
      expect(closed).toBe(4403);
      const socket = connectToSubgraph(platform.subgraphs[subgraph].url, secret);
      const operation = subscribe(socket, '{ __typename }');
      expect(await operation.ended).toEqual({ kind: 'complete' });
      expect(operation.events).toEqual([{ data: { __typename: 'Query' } }]);
      await socket.dispose();
    });
  }

  it('makes a direct login worthless: no token without the signature', async () => {
    const user = await registerUser(platform.gatewayUrl);
    const login = JSON.stringify({
      query: 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
      variables: { e: user.email, p: user.password },
    });
    const response = await direct('users', login);
    expect(response.status).toBe(401);
    expect(JSON.stringify(response.body)).not.toContain('token"');
  });

  it('still serves every subgraph through the gateway (entity fetches included)', async () => {
    const user = await registerUser(platform.gatewayUrl);
    const created = await graphql(
      platform.gatewayUrl,
      'mutation { createPost(content: "signed #guard") { id author { username } } }',
      {},
      { token: user.token },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createPost.author.username).toBe(user.username);
    // Depth 12, the gateway's limit, across users and posts: each subgraph fetch fits its limits.
    const deep = await graphql(
      platform.gatewayUrl,
      'query ($n: Int) { me { posts(first: $n) { nodes { author { followers(first: $n) { nodes { posts(first: $n) { nodes { author { followers(first: $n) { nodes { id } } } } } } } } } } } }',
      { n: 5 },
      { token: user.token },
    );
    expect(deep.errors).toBeUndefined();
    expect(deep.data.me.posts.nodes).toHaveLength(1);
  });
});

describe('subgraph limits (with a valid signature)', () => {
  const nestedFollowers = (levels: number) =>
    `{ me { ${'followers(first: 5) { nodes { '.repeat(levels)}id${' } }'.repeat(levels)} } }`;

  it('refuses followers(first: 5) nested 20 deep before running it', async () => {
    const response = await signed('users', JSON.stringify({ query: nestedFollowers(20) }));
    expect(codes(response.body)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors.map((e: { message: string }) => e.message).join()).toMatch(/depth limit of 16/);
  });

  it('refuses 100 aliases', async () => {
    const query = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: searchPosts(query: "x") { nodes { id } }`).join(' ')} }`;
    const response = await signed('posts', JSON.stringify({ query }));
    expect(codes(response.body)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.data).toBeUndefined();
  });

  it('refuses a 5 MB body with 413 before reading it all', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(5 * 1024 * 1024) } });
    const response = await signed('users', body);
    expect(response.status).toBe(413);
    expect(codes(response.body)).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
  });

  it('refuses a 5 MB body sent without a Content-Length (chunked) with 413 too', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(5 * 1024 * 1024) } });
    const bytes = new TextEncoder().encode(body);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.subarray(at, at + 64 * 1024));
        controller.close();
      },
    });
    const response = await fetch(platform.subgraphs.posts.url, {
      method: 'POST',
      headers: { ...HEADERS, [SIGNATURE_HEADER]: signContent(secret, body) },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(response.headers.get('content-length')).not.toBe(String(bytes.length));
    expect(response.status).toBe(413);
    expect(codes((await response.json()) as { errors?: { extensions?: { code?: string } }[] })).toEqual([
      'REQUEST_ENTITY_TOO_LARGE',
    ]);
  });

  it('refuses a document over the token limit', async () => {
    const query = `{ ${Array.from({ length: 9000 }, () => '__typename').join(' ')} }`;
    const response = await signed('messages', JSON.stringify({ query }));
    expect(codes(response.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
