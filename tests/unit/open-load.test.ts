import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOpenLoad } from '../../bench/support/open-load.js';

/** Answers each POST with `{ data: { step, got } }`: the step it was, and what the request said it got. */
let server: Server;
let url: string;
const received: { step: number; got: unknown }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const { variables } = JSON.parse(body) as { variables: { step: number; got: unknown } };
      received.push(variables);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: { step: variables.step, token: `token-${variables.step}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('open-model sessions (bench/support/open-load.ts)', () => {
  it('sends a session’s steps in order, each built from the answers before it, skipping the ones that return null', async () => {
    const body = (step: number, got: unknown) => JSON.stringify({ query: '{ x }', variables: { step, got } });
    const result = await runOpenLoad({
      url,
      rate: 20,
      seconds: 0.25,
      maxInFlight: 10,
      next: () => ({
        steps: [
          () => ({ body: body(1, null), label: 'first' }),
          (answers) => ({ body: body(2, (answers[0] as { token: string }).token), label: 'second' }),
          () => null,
          (answers) => ({ body: body(4, answers[2]), label: 'fourth' }),
        ],
      }),
    });
    const sessions = 5; // 20/s for 0.25 s
    expect(result).toMatchObject({ requests: 3 * sessions, errors: 0, dropped: 0, errorRate: 0 });
    expect(Object.fromEntries(Object.entries(result.latenciesByLabel).map(([label, l]) => [label, l.length]))).toEqual({
      first: sessions,
      second: sessions,
      fourth: sessions,
    });
    expect(received.filter((r) => r.step === 2).map((r) => r.got)).toEqual(Array(sessions).fill('token-1'));
    expect(received.filter((r) => r.step === 4).map((r) => r.got)).toEqual(Array(sessions).fill(null));
  });
});
