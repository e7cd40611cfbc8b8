import { randomInt } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, type GraphQLResponse, graphql, uniqueName } from './support/graphql.js';
import { newAccountToken, usePlatform, usingRealPostgres } from './support/platform.js';
import { connectSocket, subscribe, type TestSocket } from './support/websocket.js';

/**
 * Rate limits through the real gateway. Every test uses its own client IP (X-Forwarded-For,
 * trusted here) or its own viewer: with REDIS_URL the counters live in Redis, shared with the
 * other test files running at the same time and with earlier runs.
 */

const PER_MINUTE = 100;
const LOGINS = 10;
const REGISTRATIONS = 3;
const PASSWORD = 'correct horse battery';

/** A client address of its own, as the trusted proxy reports it. */
const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

function query(url: string, options: { ip?: string; token?: string } = {}): Promise<GraphQLResponse> {
  return graphql(
    url,
    '{ __typename }',
    {},
    { token: options.token, headers: options.ip ? { 'x-forwarded-for': options.ip } : {} },
  );
}

/** Sends `count` operations one after the other; returns how many were refused. */
async function send(count: number, request: () => Promise<GraphQLResponse>): Promise<number> {
  let refused = 0;
  for (let i = 0; i < count; i++) {
    if ((await request()).status === 429) refused++;
  }
  return refused;
}

/** Sends `count` operations, `width` in flight at a time; the status of each, in order of sending. */
async function sendInParallel(count: number, width: number, request: () => Promise<GraphQLResponse>): Promise<GraphQLResponse[]> {
  const responses: GraphQLResponse[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      responses[index] = await request();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return responses;
}

/** How many responses were answered (200 without errors) and how many refused with RATE_LIMITED. */
function tally(responses: GraphQLResponse[]): { answered: number; refused: number } {
  const answered = responses.filter((response) => response.status === 200 && response.errors === undefined).length;
  const refused = responses.filter(
    (response) => response.status === 429 && errorCodes(response).join() === 'RATE_LIMITED',
  ).length;
  return { answered, refused };
}

function expectRateLimited(response: GraphQLResponse): void {
  expect(response.status).toBe(429);
  expect(errorCodes(response)).toEqual(['RATE_LIMITED']);
  const retryAfter = response.errors?.[0]?.extensions?.retryAfter;
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(response.headers.get('retry-after')).toBe(String(retryAfter));
  // The HTTP details are for the response, not the error body.
  expect(response.errors?.[0]?.extensions).not.toHaveProperty('http');
}

/** `count` aliased login fields in one operation, the brute-force shape the limit counts per field. */
function aliasedLogins(count: number): string {
  const fields = Array.from({ length: count }, (_, i) => `a${i}: login(email: $email, password: $password) { token }`);
  return `mutation ($email: String!, $password: String!) { ${fields.join(' ')} }`;
}

async function register(url: string, ip: string): Promise<GraphQLResponse> {
  const username = uniqueName();
  return graphql(
    url,
    'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
    { input: { email: `${username}@example.edu`, username, password: PASSWORD, displayName: username } },
    { headers: { 'x-forwarded-for': ip } },
  );
}

/** One operation over the socket (a graphql-ws subscribe message): its first result or its error. */
function overSocket(socket: TestSocket, query: string): Promise<FormattedExecutionResult | unknown> {
  return new Promise((resolve) => {
    let first: unknown;
    socket.client.subscribe(
      { query },
      {
        next: (result) => {
          first ??= result;
        },
        error: resolve,
        complete: () => resolve(first),
      },
    );
  });
}

/** The codes of a graphql-ws result, or of the error array graphql-ws passes on an `error` message. */
function socketCodes(outcome: unknown): unknown[] {
  const errors = Array.isArray(outcome) ? outcome : ((outcome as { errors?: unknown[] }).errors ?? []);
  return errors.map((error) => (error as { extensions?: { code?: string } }).extensions?.code);
}

describe('gateway rate limits', () => {
  const platform = usePlatform({
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    LOGIN_ATTEMPTS_PER_15_MIN: String(LOGINS),
    REGISTER_ATTEMPTS_PER_HOUR: String(REGISTRATIONS),
    TRUST_PROXY: 'true',
  });
  let url: string;

  beforeAll(async () => {
    url = platform.gatewayUrl;
  });

  it('refuses the 101st request of a minute from one client IP with 429, RATE_LIMITED and retryAfter', async () => {
    const ip = freshIp();
    expect(await send(PER_MINUTE, () => query(url, { ip }))).toBe(0);
    expectRateLimited(await query(url, { ip }));
    // Another address has a budget of its own.
    const other = await query(url, { ip: freshIp() });
    expect(other.status).toBe(200);
    expect(other.data).toEqual({ __typename: 'Query' });
  });

  it('counts per viewer when signed in: two viewers on one IP have separate budgets', async () => {
    const ip = freshIp();
    const [first, second] = await Promise.all([newAccountToken(platform), newAccountToken(platform)]);
    expect(await send(PER_MINUTE, () => query(url, { ip, token: first }))).toBe(0);
    expectRateLimited(await query(url, { ip, token: first }));
    expect((await query(url, { ip, token: second })).status).toBe(200);
    // Anonymous requests from the same IP are counted apart from the viewers.
    expect((await query(url, { ip })).status).toBe(200);
  });

  it('counts each aliased login field as an attempt, per email and IP', async () => {
    const username = uniqueName();
    const email = `${username}@example.edu`;
    const registered = await graphql(
      url,
      'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
      { input: { email, username, password: PASSWORD, displayName: username } },
      { headers: { 'x-forwarded-for': freshIp() } },
    );
    expect(registered.errors).toBeUndefined();

    // 11 aliased logins in one operation: over the limit of 10, refused before any runs.
    const ip = freshIp();
    const tooMany = await graphql(
      url,
      aliasedLogins(LOGINS + 1),
      { email, password: 'wrong password' },
      {
        headers: { 'x-forwarded-for': ip },
      },
    );
    expectRateLimited(tooMany);
    // The counter is per email and IP: the same email from elsewhere, and another email from here, still run.
    const elsewhere = await graphql(
      url,
      aliasedLogins(LOGINS),
      { email, password: 'wrong password' },
      {
        headers: { 'x-forwarded-for': freshIp() },
      },
    );
    expect(errorCodes(elsewhere)).toContain('UNAUTHENTICATED');
    const otherEmail = await graphql(
      url,
      aliasedLogins(1),
      { email: `x${email}`, password: 'wrong password' },
      {
        headers: { 'x-forwarded-for': ip },
      },
    );
    expect(errorCodes(otherEmail)).toEqual(['UNAUTHENTICATED']);
  });

  it('resets the login counter of an email and IP on a successful login', async () => {
    const username = uniqueName();
    const email = `${username}@example.edu`;
    const ip = freshIp();
    await graphql(
      url,
      'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
      { input: { email, username, password: PASSWORD, displayName: username } },
      { headers: { 'x-forwarded-for': freshIp() } },
    );
    const login = (count: number, password: string) =>
      graphql(url, aliasedLogins(count), { email, password }, { headers: { 'x-forwarded-for': ip } });

    expect(errorCodes(await login(LOGINS - 1, 'wrong password'))).toContain('UNAUTHENTICATED');
    const success = await login(1, PASSWORD);
    expect(success.errors).toBeUndefined();
    expect(typeof success.data.a0.token).toBe('string');
    // Without the reset these 10 would be attempts 11-20.
    expect(errorCodes(await login(LOGINS, 'wrong password'))).toContain('UNAUTHENTICATED');
    expectRateLimited(await login(1, PASSWORD));
  });

  it('limits registrations per IP', async () => {
    const ip = freshIp();
    for (let i = 0; i < REGISTRATIONS; i++) expect((await register(url, ip)).errors).toBeUndefined();
    expectRateLimited(await register(url, ip));
    expect((await register(url, freshIp())).errors).toBeUndefined();
  });

  it.each([10, 50])('answers exactly the limit to one viewer sending 150 operations %i at a time', async (width) => {
    const token = await newAccountToken(platform);
    const responses = await sendInParallel(150, width, () => query(url, { token }));
    expect(tally(responses)).toEqual({ answered: PER_MINUTE, refused: 150 - PER_MINUTE });
  });

  it('answers exactly the limit to one anonymous client IP sending 150 operations 50 at a time', async () => {
    const ip = freshIp();
    expect(tally(await sendInParallel(150, 50, () => query(url, { ip })))).toEqual({ answered: PER_MINUTE, refused: 50 });
  });

  it('accepts exactly the limit of a burst of 150 subscribe messages on one socket', async () => {
    const socket = connectSocket(url, await newAccountToken(platform));
    await socket.connected;
    const outcomes = await Promise.all(Array.from({ length: 150 }, () => overSocket(socket, '{ __typename }')));
    const codes = outcomes.map((outcome) => socketCodes(outcome).join());
    expect(codes.filter((code) => code === '').length).toBe(PER_MINUTE);
    expect(codes.filter((code) => code === 'RATE_LIMITED').length).toBe(150 - PER_MINUTE);
    await socket.dispose();
  });

  it('runs exactly the login attempts allowed when aliased logins arrive in parallel', async () => {
    const username = uniqueName();
    const email = `${username}@example.edu`;
    const ip = freshIp();
    // Five operations of three attempts each against a limit of ten: three run (9 attempts), two are refused.
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        graphql(url, aliasedLogins(3), { email, password: 'wrong password' }, { headers: { 'x-forwarded-for': ip } }),
      ),
    );
    const ran = responses.filter((response) => response.status === 200 && errorCodes(response).includes('UNAUTHENTICATED'));
    expect(ran.length).toBe(3);
    expect(responses.filter((response) => response.status === 429).length).toBe(2);
    // Ten one-attempt operations in parallel from a fresh address: exactly ten run, the eleventh is refused.
    const other = freshIp();
    const single = await Promise.all(
      Array.from({ length: LOGINS + 5 }, () =>
        graphql(url, aliasedLogins(1), { email, password: 'wrong password' }, { headers: { 'x-forwarded-for': other } }),
      ),
    );
    expect(single.filter((response) => response.status === 200 && errorCodes(response).includes('UNAUTHENTICATED')).length).toBe(
      LOGINS,
    );
    expect(single.filter((response) => response.status === 429).length).toBe(5);
  });

  it('creates exactly the allowed accounts when registrations from one IP arrive in parallel', async () => {
    const ip = freshIp();
    const responses = await Promise.all(Array.from({ length: REGISTRATIONS + 4 }, () => register(url, ip)));
    expect(responses.filter((response) => response.errors === undefined).length).toBe(REGISTRATIONS);
    expect(responses.filter((response) => response.status === 429).length).toBe(4);
  });

  it('counts WebSocket subscribe messages in the same budget as HTTP requests', async () => {
    // HTTP spends the budget, then a subscription over the socket is refused.
    const spentOverHttp = await newAccountToken(platform);
    expect(await send(PER_MINUTE, () => query(url, { token: spentOverHttp }))).toBe(0);
    const socket = connectSocket(url, spentOverHttp);
    const subscription = subscribe(socket, 'subscription { messageAdded { id } }');
    // Refused before it reaches a subgraph: one result with the error, then the end.
    await subscription.ended;
    expect(subscription.events.map(socketCodes)).toEqual([['RATE_LIMITED']]);
    expect(subscription.events[0]?.errors?.[0]?.extensions?.retryAfter).toBeGreaterThanOrEqual(1);

    // Operations over the socket spend it, then HTTP is refused.
    const spentOverSocket = await newAccountToken(platform);
    const other = connectSocket(url, spentOverSocket);
    for (let i = 0; i < PER_MINUTE; i++) expect(socketCodes(await overSocket(other, '{ __typename }'))).toEqual([]);
    expect(socketCodes(await overSocket(other, '{ __typename }'))).toEqual(['RATE_LIMITED']);
    expectRateLimited(await query(url, { token: spentOverSocket }));
    await Promise.all([socket.dispose(), other.dispose()]);
  });
});

describe.skipIf(!(usingRealPostgres && process.env.REDIS_URL))('rate limits across gateway instances', () => {
  const limits = { RATE_LIMIT_PER_MINUTE: String(PER_MINUTE), TRUST_PROXY: 'true' };
  const first = usePlatform(limits);
  const second = usePlatform(limits, { shareDatabaseWith: first });
  /** Points an instance takes from Redis at a time with this limit (rate-limit-leases.ts). */
  const LEASE = 5;

  it('shares one budget between two gateways on one Redis', async () => {
    const ip = freshIp();
    expect(await send(PER_MINUTE / 2, () => query(first.gatewayUrl, { ip }))).toBe(0);
    expect(await send(PER_MINUTE / 2, () => query(second.gatewayUrl, { ip }))).toBe(0);
    expectRateLimited(await query(first.gatewayUrl, { ip }));
    expectRateLimited(await query(second.gatewayUrl, { ip }));
  });

  it('never answers more than the limit to a viewer spread over two gateways in parallel', async () => {
    const token = await newAccountToken(first);
    let turn = 0;
    const responses = await sendInParallel(150, 50, () => query((turn++ % 2 === 0 ? first : second).gatewayUrl, { token }));
    const { answered, refused } = tally(responses);
    expect(answered + refused).toBe(150);
    expect(answered).toBeLessThanOrEqual(PER_MINUTE);
    // Each instance can hold at most a lease less one unused when the other is refused.
    expect(answered).toBeGreaterThanOrEqual(PER_MINUTE - 2 * (LEASE - 1));
  });
});
