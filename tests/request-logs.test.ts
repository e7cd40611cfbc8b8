import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { graphql, uniqueName } from './support/graphql.js';
import { type LogLine, LogLines } from './support/log-lines.js';
import { usePlatform } from './support/platform.js';
import { until } from './support/until.js';

/**
 * Request ids and slow-request/slow-SQL warnings in the JSON log lines of the real processes
 * (lib/kernel/request-id.ts): the gateway takes or makes the id, echoes it, forwards it to the
 * subgraphs, and every line written while the request is handled carries it.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`;

/** Registers a new account through the gateway (a mutation the users subgraph logs), with `headers`. */
async function register(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const username = uniqueName();
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      query: REGISTER,
      variables: {
        input: { email: `${username}@example.edu`, username, password: 'correct horse battery', displayName: username },
      },
    }),
  });
}

describe('with the slow thresholds at 0', () => {
  const logs = new LogLines();
  const platform = usePlatform({ LOG_LEVEL: 'info', SLOW_REQUEST_MS: '0', SLOW_QUERY_MS: '0' }, { logs });

  /** The lines of `requestId` once the gateway's slow-request warning (its last line) is there. */
  async function linesOf(requestId: string): Promise<LogLine[]> {
    await until(() => logs.matching({ requestId, component: 'gateway', msg: 'slow request' }).length > 0);
    return logs.matching({ requestId });
  }

  it('echoes the x-request-id it was given, and the gateway’s and the subgraph’s lines carry it', async () => {
    const requestId = `test-${randomBytes(8).toString('hex')}`;
    const response = await register(platform.gatewayUrl, { 'x-request-id': requestId });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(response.headers.get('x-request-id')).toBe(requestId);

    const lines = await linesOf(requestId);
    const gatewayWarning = lines.find((line) => line.component === 'gateway' && line.msg === 'slow request');
    expect(gatewayWarning).toMatchObject({ level: 40, method: 'POST', status: 200 });
    expect(gatewayWarning?.durationMs).toEqual(expect.any(Number));
    // The users subgraph's own lines: its log of the new account, its slow request, its SQL.
    const users = lines.filter((line) => line.subgraph === 'users');
    expect(users.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['user registered', 'slow request', 'slow SQL statement']),
    );
    const statement = users.find((line) => line.msg === 'slow SQL statement');
    expect(statement).toMatchObject({ level: 40, failed: false });
    expect(statement?.sql).toEqual(expect.stringMatching(/"users"\./));
    // No other request's lines carry it.
    expect(lines.every((line) => line.subgraph === 'users' || line.component === 'gateway')).toBe(true);
  });

  it('makes an id when there is none, or when the one given is not acceptable', async () => {
    for (const given of [undefined, 'x'.repeat(129), 'two words', 'a"b']) {
      const response = await register(platform.gatewayUrl, given === undefined ? {} : { 'x-request-id': given });
      expect(response.status).toBe(200);
      await response.text();
      const made = response.headers.get('x-request-id') ?? '';
      expect(made).toMatch(UUID);
      const lines = await linesOf(made);
      expect(lines.some((line) => line.subgraph === 'users' && line.msg === 'user registered')).toBe(true);
      if (given !== undefined) expect(logs.matching({ requestId: given })).toEqual([]);
    }
  });

  it('warns about each SQL statement a query runs, naming its request', async () => {
    const requestId = `test-${randomBytes(8).toString('hex')}`;
    const response = await graphql(
      platform.gatewayUrl,
      'query ($u: String!) { user(username: $u) { id } }',
      { u: uniqueName('nobody') },
      { headers: { 'x-request-id': requestId } },
    );
    expect(response.errors).toBeUndefined();
    const statements = (await linesOf(requestId)).filter((line) => line.msg === 'slow SQL statement');
    expect(statements.length).toBeGreaterThanOrEqual(1);
    expect(statements.every((line) => line.subgraph === 'users' && typeof line.durationMs === 'number')).toBe(true);
  });
});

describe('with the default thresholds', () => {
  const logs = new LogLines();
  const platform = usePlatform({ LOG_LEVEL: 'info' }, { logs });

  it('warns only past 1 s (requests) and 100 ms (SQL), and the lines of a request still carry its id', async () => {
    const requestId = `test-${randomBytes(8).toString('hex')}`;
    const response = await register(platform.gatewayUrl, { 'x-request-id': requestId });
    expect(response.headers.get('x-request-id')).toBe(requestId);
    await response.text();
    await until(() => logs.matching({ requestId, msg: 'user registered' }).length > 0);
    // Usually none at all; on a loaded machine a warning may appear, but never under its threshold.
    const durations = (msg: string) => logs.matching({ msg }).map((line) => line.durationMs as number);
    expect(durations('slow request').filter((ms) => ms < 1000)).toEqual([]);
    expect(durations('slow SQL statement').filter((ms) => ms < 100)).toEqual([]);
  });
});
