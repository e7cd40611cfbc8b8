import { createHash, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadTrustedDocuments } from '../gateway/plugins/trusted-documents.js';
import { errorCodes, graphql, registerUser, uniqueName } from './support/graphql.js';
import { delta, originOf, sample, scrape } from './support/metrics.js';
import { type TestPlatform, usePlatform, usingRealPostgres } from './support/platform.js';
import { eventually } from './support/until.js';
import { connectSocket, subscribe } from './support/websocket.js';

/**
 * GET /metrics on every process of the real platform (docs/metrics.md): Prometheus text, one
 * registry per service even though the test platform runs all four in this process.
 */

const platform = usePlatform();

const USER_BY_NAME = 'query ($username: String!) { user(username: $username) { id username } }';

/** A lookup that reaches the users subgraph: a name never asked before is never a response-cache hit. */
async function lookUpUnknownUser(target: TestPlatform, headers: Record<string, string> = {}): Promise<void> {
  const response = await graphql(target.gatewayUrl, USER_BY_NAME, { username: uniqueName('nobody') }, { headers });
  expect(response.errors).toBeUndefined();
  expect(response.data?.user).toBeNull();
}

describe('GET /metrics', () => {
  it('serves Prometheus text on the gateway and on every subgraph, each sample labelled with its service', async () => {
    for (const service of ['gateway', 'users', 'posts', 'messages'] as const) {
      const response = await fetch(`${originOf(platform, service)}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await response.text();
      expect(text).toContain('# TYPE graphql_operations_total counter');
      expect(text).toContain('# TYPE graphql_operation_duration_seconds histogram');
      expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
      const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
      expect(samples.length).toBeGreaterThan(0);
      expect(samples.filter((line) => !line.includes(`service="${service}"`))).toEqual([]);
      if (service === 'gateway') {
        expect(text).toContain('# TYPE gateway_subgraph_requests_total counter');
        expect(text).toContain('# TYPE gateway_subgraph_request_duration_seconds histogram');
        expect(text).not.toContain('sql_statement_duration_seconds');
      } else {
        expect(text).toContain('# TYPE sql_statement_duration_seconds histogram');
        // Pool gauges exist with a pg pool only (PGlite is one session).
        expect(text.includes('# TYPE db_pool_connections gauge')).toBe(usingRealPostgres);
        expect(text.includes('# TYPE db_pool_waiting_requests gauge')).toBe(usingRealPostgres);
      }
    }
  });

  it('counts operations by type and outcome at the gateway and at the subgraph that ran them', async () => {
    const user = await registerUser(platform.gatewayUrl);
    // The gateway checks once that a new viewer's account exists (a users fetch of its own).
    await graphql(platform.gatewayUrl, '{ __typename }', {}, { token: user.token });
    const [gatewayBefore, usersBefore] = await Promise.all([scrape(platform, 'gateway'), scrape(platform, 'users')]);

    for (let i = 0; i < 3; i++) await lookUpUnknownUser(platform);
    const updated = await graphql(
      platform.gatewayUrl,
      'mutation { updateProfile(input: { bio: "metrics" }) { id bio } }',
      {},
      { token: user.token },
    );
    expect(updated.errors).toBeUndefined();
    const anonymous = await graphql(platform.gatewayUrl, `mutation { follow(userId: "${user.id}") { id } }`);
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(platform.gatewayUrl, '{ user('))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(errorCodes(await graphql(platform.gatewayUrl, '{ noSuchField }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    const [gatewayAfter, usersAfter] = await Promise.all([scrape(platform, 'gateway'), scrape(platform, 'users')]);
    const operations = (text: 'gateway' | 'users', operationType: string, outcome: string) =>
      text === 'gateway'
        ? delta(gatewayBefore, gatewayAfter, 'graphql_operations_total', { operation_type: operationType, outcome })
        : delta(usersBefore, usersAfter, 'graphql_operations_total', { operation_type: operationType, outcome });

    expect(operations('gateway', 'query', 'success')).toBe(3);
    expect(operations('gateway', 'mutation', 'success')).toBe(1);
    expect(operations('gateway', 'mutation', 'error')).toBe(1);
    expect(operations('gateway', 'unknown', 'rejected')).toBe(1);
    expect(operations('gateway', 'query', 'rejected')).toBe(1);
    expect(operations('gateway', 'query', 'error')).toBe(0);
    expect(
      delta(gatewayBefore, gatewayAfter, 'graphql_operation_duration_seconds_count', {
        operation_type: 'query',
        outcome: 'success',
      }),
    ).toBe(3);
    expect(
      delta(gatewayBefore, gatewayAfter, 'graphql_operation_duration_seconds_sum', { operation_type: 'query' }),
    ).toBeGreaterThan(0);

    // One fetch to users per operation that reached it; none to the other subgraphs.
    const fetches = (subgraph: string, outcome: string) =>
      delta(gatewayBefore, gatewayAfter, 'gateway_subgraph_requests_total', { subgraph, outcome });
    expect(fetches('users', 'success')).toBe(4);
    expect(fetches('users', 'error')).toBe(1);
    expect(fetches('posts', 'success') + fetches('messages', 'success')).toBe(0);
    expect(delta(gatewayBefore, gatewayAfter, 'gateway_subgraph_request_duration_seconds_count', { subgraph: 'users' })).toBe(5);

    expect(operations('users', 'query', 'success')).toBe(3);
    expect(operations('users', 'mutation', 'success')).toBe(1);
    expect(operations('users', 'mutation', 'error')).toBe(1);
    // Parse and validation failures stop at the gateway.
    expect(operations('users', 'unknown', 'rejected') + operations('users', 'query', 'rejected')).toBe(0);
  });

  it('times every SQL statement of a subgraph in its own histogram, and no other subgraph’s', async () => {
    const statements = {
      users: platform.subgraphs.users.queryStats.statements,
      posts: platform.subgraphs.posts.queryStats.statements,
    };
    const [usersBefore, postsBefore] = await Promise.all([scrape(platform, 'users'), scrape(platform, 'posts')]);

    for (let i = 0; i < 2; i++) await lookUpUnknownUser(platform);

    const [usersAfter, postsAfter] = await Promise.all([scrape(platform, 'users'), scrape(platform, 'posts')]);
    const usersStatements = platform.subgraphs.users.queryStats.statements - statements.users;
    expect(usersStatements).toBeGreaterThanOrEqual(2);
    const count = (before: string, after: string) =>
      delta(before, after, 'sql_statement_duration_seconds_count', { outcome: 'success' });
    expect(count(usersBefore, usersAfter)).toBe(usersStatements);
    expect(delta(usersBefore, usersAfter, 'sql_statement_duration_seconds_bucket', { le: '+Inf' })).toBe(usersStatements);
    expect(delta(usersBefore, usersAfter, 'sql_statement_duration_seconds_sum')).toBeGreaterThan(0);
    expect(count(postsBefore, postsAfter)).toBe(platform.subgraphs.posts.queryStats.statements - statements.posts);
    expect(count(postsBefore, postsAfter)).toBe(0);
  });

  it('counts a subscription over the gateway’s WebSocket once it has started', async () => {
    const user = await registerUser(platform.gatewayUrl);
    const before = await scrape(platform, 'gateway');
    const socket = connectSocket(platform.gatewayUrl, user.token);
    try {
      await socket.connected;
      const subscription = subscribe(socket, 'subscription { messageAdded { body } }');
      const started = () =>
        scrape(platform, 'gateway').then((after) =>
          delta(before, after, 'graphql_operations_total', { operation_type: 'subscription', outcome: 'success' }),
        );
      await eventually(async () => (await started()) > 0).catch(() => undefined);
      expect(await started()).toBe(1);
      subscription.unsubscribe();
    } finally {
      await socket.dispose();
    }
  });
});

describe('two platforms in one process', () => {
  const other = usePlatform({ RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: 'true' });
  /** A client address of its own (trusted proxy): rate-limit counters may live in a shared Redis. */
  const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

  it('keep their own counters', async () => {
    const [gatewayBefore, usersBefore] = await Promise.all([scrape(platform, 'gateway'), scrape(platform, 'users')]);

    await lookUpUnknownUser(other, { 'x-forwarded-for': freshIp() });

    const [otherGateway, otherUsers] = await Promise.all([scrape(other, 'gateway'), scrape(other, 'users')]);
    expect(sample(otherGateway, 'graphql_operations_total')).toBe(1);
    expect(sample(otherGateway, 'graphql_operations_total', { operation_type: 'query', outcome: 'success' })).toBe(1);
    expect(sample(otherUsers, 'graphql_operations_total', { operation_type: 'query', outcome: 'success' })).toBe(1);
    expect(sample(otherGateway, 'gateway_subgraph_requests_total', { subgraph: 'users' })).toBe(1);

    const [gatewayAfter, usersAfter] = await Promise.all([scrape(platform, 'gateway'), scrape(platform, 'users')]);
    expect(delta(gatewayBefore, gatewayAfter, 'graphql_operations_total')).toBe(0);
    expect(delta(usersBefore, usersAfter, 'graphql_operations_total')).toBe(0);
  });

  it('answer /metrics without rate limit, CSRF check or counting it as an operation', async () => {
    const before = await scrape(other, 'gateway');
    // A GET without a preflight header: CSRF prevention refuses it for GraphQL…
    expect((await fetch(`${other.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`)).status).toBe(400);
    // …and the limit is one operation a minute, yet every scrape is answered.
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${other.gatewayOrigin}/metrics`);
      expect(response.status).toBe(200);
      await response.text();
    }
    const ip = freshIp();
    const first = await graphql(other.gatewayUrl, '{ __typename }', {}, { headers: { 'x-forwarded-for': ip } });
    expect(first.errors).toBeUndefined();
    const second = await graphql(other.gatewayUrl, '{ __typename }', {}, { headers: { 'x-forwarded-for': ip } });
    expect(errorCodes(second)).toEqual(['RATE_LIMITED']);

    const after = await scrape(other, 'gateway');
    // Only the two operations count; a refusal at execution is an error outcome.
    expect(delta(before, after, 'graphql_operations_total')).toBe(2);
    expect(delta(before, after, 'graphql_operations_total', { operation_type: 'query', outcome: 'success' })).toBe(1);
    expect(delta(before, after, 'graphql_operations_total', { operation_type: 'query', outcome: 'error' })).toBe(1);
  });
});

describe('what an operator watches', () => {
  const limited = usePlatform({ RATE_LIMIT_PER_MINUTE: '1', LOGIN_ATTEMPTS_PER_15_MIN: '1', TRUST_PROXY: 'true' });
  const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  async function post(target: TestPlatform, body: object, headers: Record<string, string> = {}) {
    const response = await fetch(target.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };
  }

  it('counts rate-limit refusals by the limit they hit, and RATE_LIMITED among the errors by code', async () => {
    const before = await scrape(limited, 'gateway');
    const ip = freshIp();
    expect(errorCodes(await graphql(limited.gatewayUrl, '{ __typename }', {}, { headers: { 'x-forwarded-for': ip } }))).toEqual(
      [],
    );
    const refused = await graphql(limited.gatewayUrl, '{ __typename }', {}, { headers: { 'x-forwarded-for': ip } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'RATE_LIMIT_PER_MINUTE' });
    // Two sign-in attempts in one operation, from an address with budget left: the login limit (1) refuses it.
    const email = `${uniqueName('nobody')}@example.edu`;
    const logins = await graphql(
      limited.gatewayUrl,
      'mutation ($email: String!) { a: login(email: $email, password: "x") { token } b: login(email: $email, password: "y") { token } }',
      { email },
      { headers: { 'x-forwarded-for': freshIp() } },
    );
    expect(logins.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'LOGIN_ATTEMPTS_PER_15_MIN' });

    const after = await scrape(limited, 'gateway');
    expect(delta(before, after, 'rate_limit_refusals_total', { limit: 'RATE_LIMIT_PER_MINUTE' })).toBe(1);
    expect(delta(before, after, 'rate_limit_refusals_total', { limit: 'LOGIN_ATTEMPTS_PER_15_MIN' })).toBe(1);
    expect(delta(before, after, 'rate_limit_refusals_total')).toBe(2);
    expect(delta(before, after, 'graphql_errors_total', { code: 'RATE_LIMITED' })).toBe(2);
    expect(delta(before, after, 'graphql_errors_total')).toBe(2);
  });

  it('counts persisted-query misses, registrations and hits', async () => {
    const query = `query ${uniqueName('Metrics')} { __typename }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    const before = await scrape(platform, 'gateway');

    const unknown = await post(platform, { extensions });
    expect(unknown.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect((await post(platform, { query, extensions })).errors).toBeUndefined();
    expect((await post(platform, { extensions })).data).toEqual({ __typename: 'Query' });
    expect((await post(platform, { extensions })).data).toEqual({ __typename: 'Query' });

    const after = await scrape(platform, 'gateway');
    expect(delta(before, after, 'gateway_persisted_queries_total', { outcome: 'miss' })).toBe(1);
    expect(delta(before, after, 'gateway_persisted_queries_total', { outcome: 'registered' })).toBe(1);
    expect(delta(before, after, 'gateway_persisted_queries_total', { outcome: 'hit' })).toBe(2);
    expect(delta(before, after, 'graphql_errors_total', { code: 'PERSISTED_QUERY_NOT_FOUND' })).toBe(1);
  });

  it('counts trusted-document hits and misses', async () => {
    const [hash] = loadTrustedDocuments().entries().next().value as [string, string];
    const before = await scrape(platform, 'gateway');

    const missing = await post(platform, { documentId: `sha256:${'0'.repeat(64)}` });
    expect(missing.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    // A manifest document: found, whatever its execution answers without variables.
    await post(platform, { documentId: `sha256:${hash}` });

    const after = await scrape(platform, 'gateway');
    expect(delta(before, after, 'gateway_trusted_documents_total', { outcome: 'miss' })).toBe(1);
    expect(delta(before, after, 'gateway_trusted_documents_total', { outcome: 'hit' })).toBe(1);
    expect(delta(before, after, 'gateway_trusted_documents_total', { outcome: 'refused' })).toBe(0);
  });

  it('counts the errors sent to clients by code, at the gateway and at the subgraph that raised them', async () => {
    const user = await registerUser(platform.gatewayUrl);
    const [gatewayBefore, usersBefore] = await Promise.all([scrape(platform, 'gateway'), scrape(platform, 'users')]);

    const anonymous = await graphql(platform.gatewayUrl, `mutation { follow(userId: "${user.id}") { id } }`);
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(platform.gatewayUrl, '{ user('))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(errorCodes(await graphql(platform.gatewayUrl, '{ user(id: "1", username: "x") { id } }'))).toEqual(['BAD_USER_INPUT']);

    const [gatewayAfter, usersAfter] = await Promise.all([scrape(platform, 'gateway'), scrape(platform, 'users')]);
    const gateway = (code: string) => delta(gatewayBefore, gatewayAfter, 'graphql_errors_total', { code });
    const users = (code: string) => delta(usersBefore, usersAfter, 'graphql_errors_total', { code });
    expect(gateway('UNAUTHENTICATED')).toBe(1);
    expect(gateway('GRAPHQL_PARSE_FAILED')).toBe(1);
    expect(gateway('BAD_USER_INPUT')).toBe(1);
    expect(delta(gatewayBefore, gatewayAfter, 'graphql_errors_total')).toBe(3);
    // The subgraph answered the two that reached it; the parse failure stopped at the gateway.
    expect(users('UNAUTHENTICATED')).toBe(1);
    expect(users('BAD_USER_INPUT')).toBe(1);
    expect(delta(usersBefore, usersAfter, 'graphql_errors_total')).toBe(2);
  });

  it('observes each DataLoader batch’s size under the loader’s name', async () => {
    const users = await Promise.all([0, 1, 2].map(() => registerUser(platform.gatewayUrl)));
    const before = await scrape(platform, 'users');

    const response = await graphql(
      platform.gatewayUrl,
      'query ($a: ID!, $b: ID!, $c: ID!) { a: user(id: $a) { followersCount } b: user(id: $b) { followersCount } c: user(id: $c) { followersCount } }',
      { a: users[0]?.id, b: users[1]?.id, c: users[2]?.id },
    );
    expect(response.errors).toBeUndefined();

    const after = await scrape(platform, 'users');
    // Three users by id in one batch, then their three counts in one batch.
    for (const loader of ['userById', 'followCounts']) {
      expect(delta(before, after, 'dataloader_batch_size_count', { loader })).toBe(1);
      expect(delta(before, after, 'dataloader_batch_size_sum', { loader })).toBe(3);
      expect(delta(before, after, 'dataloader_batch_size_bucket', { loader, le: '2' })).toBe(0);
      expect(delta(before, after, 'dataloader_batch_size_bucket', { loader, le: '5' })).toBe(1);
    }
  });
});
