import { randomUUID } from 'node:crypto';
import { buildSchema, type ExecutionArgs, type ExecutionResult, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { authAttempts, clientIp, createRateLimiters, useRateLimit } from '../../gateway/plugins/rate-limit.js';
import { createLogger } from '../../lib/kernel/logger.js';

/** Runs the plugin's execute hook as envelop would: the result it answers instead, if it refused. */
async function refusalOf(plugin: ReturnType<typeof useRateLimit>, args: ExecutionArgs): Promise<ExecutionResult | undefined> {
  let refused: ExecutionResult | undefined;
  await plugin.onExecute?.({
    args,
    setResultAndStopExecution: (result: ExecutionResult) => {
      refused = result;
    },
  } as never);
  return refused;
}

describe('authAttempts', () => {
  it('lists every aliased login and register root field of the mutation, through fragments, with the email', () => {
    const document = parse(`
      mutation M($e: String!) {
        a: login(email: $e, password: "x") { token }
        b: login(email: " Ada@Example.edu ", password: "x") { token }
        ... on Mutation { register(input: { email: "r@example.edu" }) { token } }
        ...More
      }
      fragment More on Mutation { c: login(email: $e, password: "y") { token } }
      query Q { login }
    `);
    expect(authAttempts(document, 'M', { e: 'Bob@example.edu' })).toEqual([
      { field: 'login', responseKey: 'a', email: 'bob@example.edu' },
      { field: 'login', responseKey: 'b', email: 'ada@example.edu' },
      { field: 'register', responseKey: 'register', email: '' },
      { field: 'login', responseKey: 'c', email: 'bob@example.edu' },
    ]);
    // Queries are not attempts, even with a field of that name.
    expect(authAttempts(document, 'Q', {})).toEqual([]);
  });
});

describe('clientIp', () => {
  const req = { headers: { 'x-forwarded-for': '1.1.1.1, 2.2.2.2' }, socket: { remoteAddress: '127.0.0.1' } };
  it('uses the socket address unless the proxy is trusted, then the address it appended', () => {
    expect(clientIp({ req }, false)).toBe('127.0.0.1');
    expect(clientIp({ req }, true)).toBe('2.2.2.2');
    expect(clientIp({ req: { headers: {}, socket: { remoteAddress: '::1' } } }, true)).toBe('::1');
  });
});

describe('useRateLimit with Redis unreachable', () => {
  it('lets operations through at once instead of stalling or failing them', async () => {
    const logger = createLogger({ level: 'silent', pretty: false });
    const limiters = createRateLimiters(
      { perMinute: 1, loginAttemptsPer15Min: 1, registerAttemptsPerHour: 1 },
      'redis://127.0.0.1:1',
      logger,
    );
    const plugin = useRateLimit(limiters, { trustProxy: false, logger });
    const schema = buildSchema('type Query { a: Int } type Mutation { login(email: String!): Int }');
    const args: ExecutionArgs = {
      schema,
      document: parse('mutation { x: login(email: "a@b.c") y: login(email: "a@b.c") }'),
      contextValue: { viewer: null, req: { headers: {}, socket: { remoteAddress: '10.0.0.1' } } },
    };
    const started = Date.now();
    for (let i = 0; i < 5; i++) expect(await refusalOf(plugin, args)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    await limiters.close();
  });
});

describe.skipIf(!process.env.REDIS_URL)('useRateLimit just after start-up', () => {
  it('counts the operations that arrive while its Redis connection is still being made', async () => {
    const logger = createLogger({ level: 'silent', pretty: false });
    const limiters = createRateLimiters(
      { perMinute: 2, loginAttemptsPer15Min: 1, registerAttemptsPerHour: 1 },
      process.env.REDIS_URL,
      logger,
    );
    const plugin = useRateLimit(limiters, { trustProxy: false, logger });
    const args: ExecutionArgs = {
      schema: buildSchema('type Query { a: Int }'),
      document: parse('{ a }'),
      contextValue: { viewer: { id: randomUUID() }, req: { headers: {}, socket: { remoteAddress: '10.0.0.1' } } },
    };
    // All sent at once, before the connection is ready: the limit of 2 holds.
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const refused = await refusalOf(plugin, args);
        return refused === undefined
          ? 'ran'
          : (refused.errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code;
      }),
    );
    expect(outcomes).toEqual(['ran', 'ran', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    await limiters.close();
  });
});
