import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerUser, uniqueName } from './support/graphql.js';
import { usePlatform, usingRealPostgres } from './support/platform.js';

/**
 * Automatic persisted queries and HTTP caching of persisted-query GETs, through the real
 * gateway. With REDIS_URL the documents live in Redis, shared with other runs, so every test
 * persists a document of its own (a unique operation name).
 */

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const sha256 = (document: string) => createHash('sha256').update(document).digest('hex');
/** A document no earlier run registered. */
const freshQuery = () => `query ${uniqueName('Q')} { __typename }`;
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

interface Sent {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely, asserting their shape with expect()
  body: any;
}

async function read(response: Response): Promise<Sent> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

async function post(target: string, payload: { query?: string; hash: string }): Promise<Sent> {
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      ...(payload.query === undefined ? {} : { query: payload.query }),
      extensions: persisted(payload.hash),
    }),
  });
  return read(response);
}

async function get(
  target: string,
  payload: { query?: string; hash: string },
  headers: Record<string, string> = {},
): Promise<Sent> {
  const search = new URLSearchParams({ extensions: JSON.stringify(persisted(payload.hash)) });
  if (payload.query !== undefined) search.set('query', payload.query);
  // A GET needs the CSRF preflight header (gateway/plugins/csrf-prevention.ts).
  const response = await fetch(`${target}?${search}`, {
    headers: { accept: 'application/json', 'x-graphql-csrf': '1', ...headers },
  });
  return read(response);
}

describe('automatic persisted queries', () => {
  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, then runs it once registered (POST)', async () => {
    const query = freshQuery();
    const hash = sha256(query);
    const unknown = await post(url, { hash });
    expect(unknown.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual([
      'PERSISTED_QUERY_NOT_FOUND',
    ]);
    expect(unknown.body.errors[0].message).toBe('PersistedQueryNotFound');

    const registered = await post(url, { query, hash });
    expect(registered.status).toBe(200);
    expect(registered.body).toEqual({ data: { __typename: 'Query' } });

    const byHash = await post(url, { hash });
    expect(byHash.status).toBe(200);
    expect(byHash.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('registers and runs persisted queries over GET', async () => {
    const query = freshQuery();
    const hash = sha256(query);
    expect((await get(url, { hash })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await get(url, { query, hash })).body).toEqual({ data: { __typename: 'Query' } });
    const byHash = await get(url, { hash });
    expect(byHash.status).toBe(200);
    expect(byHash.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a hash that does not match its query with BAD_USER_INPUT, and registers nothing', async () => {
    const query = freshQuery();
    const wrongHash = sha256(`${query} `);
    const mismatched = await post(url, { query, hash: wrongHash });
    expect(mismatched.status).toBe(400);
    expect(mismatched.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect((await post(url, { hash: wrongHash })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses a hash that is not sha256 of anything sent as not found', async () => {
    expect((await post(url, { hash: 'not-a-hash' })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('HTTP caching of persisted-query GETs', () => {
  it('sends Cache-Control public and an ETag to anonymous requests, and 304 for a matching If-None-Match', async () => {
    const query = freshQuery();
    const hash = sha256(query);
    await post(url, { query, hash });
    const first = await get(url, { hash });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=30');
    expect(first.headers.get('vary')).toMatch(/authorization/i);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/".+"$/);

    const again = await get(url, { hash });
    expect(again.headers.get('etag')).toBe(etag);

    const notModified = await get(url, { hash }, { 'if-none-match': etag as string });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeUndefined();
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(notModified.headers.get('cache-control')).toBe('public, max-age=30');

    const stale = await get(url, { hash }, { 'if-none-match': 'W/"something-else"' });
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('keeps the ETag and the 304 for responses large enough to be compressed', async () => {
    // Over 1 KiB, so the compression plugin sends it with brotli.
    const query = `query ${uniqueName('Types')} { __schema { types { name description } } }`;
    const hash = sha256(query);
    await post(url, { query, hash });
    const compressed = await get(url, { hash }, { 'accept-encoding': 'br' });
    expect(compressed.status).toBe(200);
    expect(compressed.headers.get('content-encoding')).toBe('br');
    expect(compressed.headers.get('cache-control')).toBe('public, max-age=30');
    const etag = compressed.headers.get('etag');
    expect(etag).toMatch(/^W\/".+"$/);
    const notModified = await get(url, { hash }, { 'accept-encoding': 'br', 'if-none-match': etag as string });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('content-encoding')).toBeNull();
  });

  it('marks responses to requests with an Authorization header private', async () => {
    const user = await registerUser(url);
    const query = `query ${uniqueName('Me')} { me { id username } }`;
    const hash = sha256(query);
    await post(url, { query, hash });
    const response = await get(url, { hash }, { authorization: `Bearer ${user.token}` });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { me: { id: user.id, username: user.username } } });
    expect(response.headers.get('cache-control')).toMatch(/^private\b/);
    expect(response.headers.get('cache-control')).not.toMatch(/public/);
    expect(response.headers.get('etag')).toMatch(/^W\/".+"$/);
  });

  it('adds no caching headers to POSTs, to errors, or to mutations', async () => {
    const query = freshQuery();
    const hash = sha256(query);
    const viaPost = await post(url, { query, hash });
    expect(viaPost.headers.get('cache-control')).toBeNull();
    expect(viaPost.headers.get('etag')).toBeNull();

    const failing = `query ${uniqueName('Feed')} { feed(first: 1) { edges { cursor } } }`;
    const failingHash = sha256(failing);
    await post(url, { query: failing, hash: failingHash });
    const anonymousMe = await get(url, { hash: failingHash });
    expect(anonymousMe.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(anonymousMe.headers.get('etag')).toBeNull();
    expect(anonymousMe.headers.get('cache-control')).toBeNull();

    const mutation = `mutation ${uniqueName('M')} { login(email: "nobody@example.edu", password: "wrong password") { token } }`;
    const mutationHash = sha256(mutation);
    await post(url, { query: mutation, hash: mutationHash });
    const viaGet = await get(url, { hash: mutationHash });
    expect(viaGet.status).toBe(405);
    expect(viaGet.headers.get('cache-control')).toBeNull();
    expect(viaGet.headers.get('etag')).toBeNull();
  });
});

describe.skipIf(!usingRealPostgres || !process.env.REDIS_URL)('several gateways on one Redis', () => {
  const second = usePlatform({}, { shareDatabaseWith: platform });

  it('runs a query registered on one gateway by its hash on another', async () => {
    const query = freshQuery();
    const hash = sha256(query);
    expect((await post(second.gatewayUrl, { hash })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    await post(url, { query, hash });
    const onSecond = await get(second.gatewayUrl, { hash });
    expect(onSecond.status).toBe(200);
    expect(onSecond.body).toEqual({ data: { __typename: 'Query' } });
  });
});
