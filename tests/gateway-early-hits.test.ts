import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { negotiatedMediaType } from '../gateway/response-cache/early-hits.js';
import { createPost, follow, likePost } from './support/actions.js';
import { registerUser, type TestUser } from './support/graphql.js';
import { sample, scrape } from './support/metrics.js';
import { usePlatform } from './support/platform.js';

/**
 * Response-cache hits answered before Yoga (gateway/response-cache/early-hits.ts): the same
 * bytes, headers and refusals as the full path, counted in gateway_response_cache_early_hits_total.
 * The full path's own tests (tests/gateway-response-cache.test.ts) run with early hits on too.
 */
const platform = usePlatform({ RATE_LIMIT_PER_MINUTE: '40' });

/** A raw POST, so bodies and headers can be compared byte for byte. */
async function post(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(platform.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

const earlyHits = async () => sample(await scrape(platform, 'gateway'), 'gateway_response_cache_early_hits_total');
const bearer = (user: TestUser) => ({ authorization: `Bearer ${user.token}` });

const POST_QUERY =
  'query Post($id: ID!) { post(id: $id) { id content likesCount createdAt author { username displayName university } } }';

describe('early response-cache hits', () => {
  it('answer a repeated query with the bytes and headers of the full path, compressed as the client asks', async () => {
    const author = await registerUser(platform.gatewayUrl);
    // Over the compression threshold, so the encodings matter.
    const created = await createPost(platform.gatewayUrl, author, `early ${'x'.repeat(1500)}`);
    // Made first: a post invalidates its author's cached answers (postsCount).
    const other = await createPost(platform.gatewayUrl, author, 'cross-origin');
    const body = { query: POST_QUERY, variables: { id: created.id }, operationName: 'Post' };
    const before = await earlyHits();

    const miss = await post(body);
    const hit = await post(body);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.bytes.toString()).toBe(miss.bytes.toString());
    for (const name of ['content-type', 'vary']) expect(hit.headers.get(name), name).toBe(miss.headers.get(name));
    expect(await earlyHits()).toBe(before + 1);
    // A public answer is still no answer for a bad token.
    const badToken = await post(body, { authorization: 'Bearer not-a-token' });
    expect(badToken.status).toBe(401);
    expect(await earlyHits()).toBe(before + 1);

    // A browser's cross-origin request: the CORS headers Yoga sends, on the early hit too.
    const browser = { origin: 'https://app.chitlaq.example', 'access-control-request-headers': 'content-type' };
    const otherBody = { ...body, variables: { id: other.id } };
    const fullPath = await post(otherBody, browser);
    const early = await post(otherBody, browser);
    expect([fullPath.headers.get('x-cache'), early.headers.get('x-cache')]).toEqual(['MISS', 'HIT']);
    const headersOf = (response: { headers: Headers }) =>
      [...response.headers].filter(([name]) => !['date', 'x-request-id', 'content-length', 'x-cache'].includes(name));
    expect(headersOf(early)).toEqual(headersOf(fullPath));
    expect(early.headers.get('access-control-allow-origin')).toBe('https://app.chitlaq.example');

    const graphqlResponse = { accept: 'application/graphql-response+json' };
    const typed = await post(body, graphqlResponse);
    expect(typed.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    // fetch decodes what it accepted: the decoded body must be the plain one.
    const gzip = await post(body, { 'accept-encoding': 'gzip' });
    expect(gzip.headers.get('content-encoding')).toBe('gzip');
    expect(gzip.bytes.toString()).toBe(miss.bytes.toString());
    const br = await post(body, { 'accept-encoding': 'gzip, br' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.bytes.toString()).toBe(miss.bytes.toString());
    expect(await earlyHits()).toBe(before + 5);
  });

  it('answer an automatic persisted query sent by hash, and a document named differently only after its own first run', async () => {
    const author = await registerUser(platform.gatewayUrl);
    const created = await createPost(platform.gatewayUrl, author, 'persisted');
    const query = 'query ($id: ID!) { post(id: $id) { id content } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const persistedQuery = { version: 1, sha256Hash };
    const registered = await post({ query, variables: { id: created.id }, extensions: { persistedQuery } });
    expect(registered.headers.get('x-cache')).toBe('MISS');
    const before = await earlyHits();
    // The hash alone: the first time through the full path (it learns what the hash names), then early.
    const byHash = await post({ variables: { id: created.id }, extensions: { persistedQuery } });
    const byHashAgain = await post({ variables: { id: created.id }, extensions: { persistedQuery } });
    expect([byHash.headers.get('x-cache'), byHashAgain.headers.get('x-cache')]).toEqual(['HIT', 'HIT']);
    expect(byHashAgain.bytes.toString()).toBe(registered.bytes.toString());
    expect(await earlyHits()).toBe(before + 1);
  });

  it('keep viewer-dependent answers per viewer, and refuse a bad token as the full path does', async () => {
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => registerUser(platform.gatewayUrl)));
    await follow(platform.gatewayUrl, alice as TestUser, carol as TestUser);
    const body = {
      query: 'query ($u: String!) { user(username: $u) { username isFollowedByViewer } }',
      variables: { u: carol?.username },
    };
    await post(body, bearer(alice as TestUser));
    const aliceAgain = await post(body, bearer(alice as TestUser));
    const asBob = await post(body, bearer(bob as TestUser));
    expect(aliceAgain.headers.get('x-cache')).toBe('HIT');
    expect(JSON.parse(aliceAgain.bytes.toString()).data.user.isFollowedByViewer).toBe(true);
    expect(asBob.headers.get('x-cache')).toBe('MISS');
    expect(JSON.parse(asBob.bytes.toString()).data.user.isFollowedByViewer).toBe(false);

    const badToken = await post(body, { authorization: 'Bearer not-a-token' });
    expect(badToken.status).toBe(401);
    expect(JSON.parse(badToken.bytes.toString()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('miss once a mutation invalidated the answer, and count against the rate limit', async () => {
    const author = await registerUser(platform.gatewayUrl);
    const liker = await registerUser(platform.gatewayUrl);
    const created = await createPost(platform.gatewayUrl, author, 'likes');
    const body = { query: 'query ($id: ID!) { post(id: $id) { likesCount } }', variables: { id: created.id } };
    await post(body, bearer(liker));
    expect((await post(body, bearer(liker))).headers.get('x-cache')).toBe('HIT');
    await likePost(platform.gatewayUrl, liker, created.id);
    const fresh = await post(body, bearer(liker));
    expect(fresh.headers.get('x-cache')).toBe('MISS');
    expect(JSON.parse(fresh.bytes.toString()).data.post.likesCount).toBe(1);

    // RATE_LIMIT_PER_MINUTE=40 for this viewer: early hits take their point, the 41st is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 45; i += 1) statuses.push((await post(body, bearer(liker))).status);
    const used = 4; // the three reads and the like above
    expect(statuses.filter((status) => status === 200)).toHaveLength(40 - used);
    const refused = await post(body, bearer(liker));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.bytes.toString()).errors[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'RATE_LIMIT_PER_MINUTE',
    });
  });
});

describe('the media type of an early hit', () => {
  it('is the one Yoga negotiates, and none for what Yoga alone serves', () => {
    expect(negotiatedMediaType(undefined)).toBe('application/json');
    expect(negotiatedMediaType('*/*')).toBe('application/json');
    expect(negotiatedMediaType('application/graphql-response+json, application/json')).toBe('application/graphql-response+json');
    expect(negotiatedMediaType('application/json, application/graphql-response+json')).toBe('application/json');
    expect(negotiatedMediaType('application/graphql-response+json;charset=utf-8')).toBe('application/graphql-response+json');
    expect(negotiatedMediaType('multipart/mixed, application/json')).toBeUndefined();
    expect(negotiatedMediaType('text/event-stream')).toBeUndefined();
    expect(negotiatedMediaType('application/json; charset=latin1')).toBeUndefined();
  });
});
