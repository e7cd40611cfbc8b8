import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../lib/kernel/errors.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { createTokenService, type Viewer } from '../../lib/kernel/tokens.js';
import { AsyncQueue } from '../../lib/realtime/async-queue.js';
import { createRealtimeMetrics } from '../../lib/realtime/realtime-metrics.js';
import { serveSubgraphWebSockets, type WebSocketEndpoint } from '../../lib/service/subgraph-websockets.js';
import { connectToSubgraph, subscribe, type TestSocket } from '../support/websocket.js';

/**
 * The WebSocket face every subgraph shares (lib/service/subgraph-websockets.ts), on a small schema:
 * per-operation viewers, a context per event, and errors masked like on HTTP.
 */

const tokens = createTokenService({
  key: { algorithm: 'HS256', secret: 'websocket-test-secret-that-is-long-enough-0123456789', source: 'env' },
  issuer: 'chitlaq',
  audience: 'chitlaq-graph',
  ttlSeconds: 600,
});

interface TestContext {
  viewer: Viewer | null;
  serial: number;
}

const Tick = new GraphQLObjectType<{ n: number }, TestContext>({
  name: 'Tick',
  fields: {
    n: { type: new GraphQLNonNull(GraphQLInt) },
    context: { type: new GraphQLNonNull(GraphQLInt), resolve: (_tick, _args, context) => context.serial },
    viewer: { type: GraphQLString, resolve: (_tick, _args, context) => context.viewer?.id ?? null },
    broken: {
      type: GraphQLInt,
      resolve: () => {
        throw new Error('SELECT secret FROM somewhere failed');
      },
    },
  },
});

/** `failWith` picks how the subscription fails. */
const schema = new GraphQLSchema({
  query: new GraphQLObjectType<unknown, TestContext>({
    name: 'Query',
    fields: { viewer: { type: GraphQLString, resolve: (_root, _args, context) => context.viewer?.id ?? null } },
  }),
  subscription: new GraphQLObjectType<unknown, TestContext>({
    name: 'Subscription',
    fields: {
      ticks: {
        type: new GraphQLNonNull(Tick),
        args: { count: { type: new GraphQLNonNull(GraphQLInt) }, failWith: { type: GraphQLString } },
        subscribe(_root, { count, failWith }: { count: number; failWith?: string }) {
          if (failWith === 'forbidden-at-start') throw new ForbiddenError('Not yours.');
          if (failWith === 'crash-at-start') throw new Error('connection string with a password');
          const queue = new AsyncQueue<{ n: number }>({ limit: 100, overflowError: () => new Error('overflow') });
          for (let n = 1; n <= count; n += 1) queue.push({ n });
          if (failWith === 'forbidden-later') queue.end(new ForbiddenError('Not yours any more.'));
          else if (failWith === 'crash-later') queue.end(new Error('stack trace material'));
          else queue.end();
          return queue;
        },
        resolve: (payload) => payload,
      },
    },
  }),
});

const SIGNING_SECRET = 'subgraph-signing-secret-for-this-unit-test';
let server: Server;
let endpoint: WebSocketEndpoint;
let url: string;
let serial = 0;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = createServer((_req, res) => res.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  endpoint = serveSubgraphWebSockets(server, {
    schema,
    tokens,
    signingSecret: SIGNING_SECRET,
    logger: createLogger({ level: 'silent', pretty: false }),
    createContext: (viewer): TestContext => ({ viewer, serial: ++serial }),
    viewerDependentFields: new Set(),
    metrics: createRealtimeMetrics(new Registry()),
  });
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await endpoint?.close();
  await new Promise((resolve) => server?.close(resolve));
});

function connect(params: Record<string, unknown> = {}) {
  const socket = connectToSubgraph(url, SIGNING_SECRET, params);
  sockets.push(socket);
  return socket;
}

const TICKS = 'subscription ($count: Int!, $failWith: String) { ticks(count: $count, failWith: $failWith) { n context viewer } }';

describe('subgraph WebSocket endpoint', () => {
  it('runs each operation as its own viewer and each event with a fresh context', async () => {
    // Subjects are account ids (uuids); the test schema answers `viewer` with the id.
    const [ADA, BOB] = ['0a0a0a0a-0000-4000-8000-00000000000a', '0b0b0b0b-0000-4000-8000-00000000000b'];
    const ada = await tokens.sign(ADA);
    const bob = await tokens.sign(BOB);
    const socket = connect({ authorization: `Bearer ${bob}` });
    const asAda = subscribe(socket, TICKS, { count: 3 }, { authorization: `Bearer ${ada}` });
    const asBob = subscribe(socket, '{ viewer }');
    expect(await asAda.ended).toEqual({ kind: 'complete' });
    expect(await asBob.ended).toEqual({ kind: 'complete' });
    expect(asBob.events).toEqual([{ data: { viewer: BOB } }]);
    const ticks = asAda.events.map((result) => (result.data as { ticks: { n: number; context: number; viewer: string } }).ticks);
    expect(ticks.map((tick) => [tick.n, tick.viewer])).toEqual([
      [1, ADA],
      [2, ADA],
      [3, ADA],
    ]);
    expect(new Set(ticks.map((tick) => tick.context)).size).toBe(3);
  });

  it('passes GraphQL errors with a code and masks everything else, at the start, mid-stream and in fields', async () => {
    const socket = connect();
    const run = async (failWith: string, query = TICKS) => {
      const operation = subscribe(socket, query, { count: 1, failWith });
      return { ending: await operation.ended, results: operation.events };
    };
    expect(await run('forbidden-at-start')).toEqual({
      ending: { kind: 'complete' },
      results: [{ errors: [expect.objectContaining({ message: 'Not yours.', extensions: { code: 'FORBIDDEN' } })] }],
    });
    expect(await run('crash-at-start')).toEqual({
      ending: { kind: 'complete' },
      results: [
        { errors: [expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })] },
      ],
    });
    expect(await run('forbidden-later')).toMatchObject({
      ending: { kind: 'error', errors: [{ message: 'Not yours any more.', extensions: { code: 'FORBIDDEN' } }] },
      results: [{ data: { ticks: { n: 1 } } }],
    });
    expect(await run('crash-later')).toMatchObject({
      ending: { kind: 'error', errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
    });
    const broken = await run(
      'none',
      'subscription ($count: Int!, $failWith: String) { ticks(count: $count, failWith: $failWith) { n broken } }',
    );
    expect(broken.results).toEqual([
      {
        data: { ticks: { n: 1, broken: null } },
        errors: [expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })],
      },
    ]);
    expect(JSON.stringify(broken)).not.toContain('secret');
  });

  it('answers syntax and validation errors with their codes and keeps the socket open', async () => {
    const socket = connect();
    const syntax = subscribe(socket, 'subscription {');
    expect(await syntax.ended).toMatchObject({ kind: 'error', errors: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
    const invalid = subscribe(socket, 'subscription { nope }');
    expect(await invalid.ended).toMatchObject({ kind: 'error', errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    const fine = subscribe(socket, '{ viewer }');
    expect(await fine.ended).toEqual({ kind: 'complete' });
    expect(fine.events).toEqual([{ data: { viewer: null } }]);
  });
});
