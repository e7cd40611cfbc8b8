import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../gateway/context.js';
import { SubgraphDataSource, type SubgraphRequestCounts } from '../../gateway/subgraph-data-source.js';
import { until } from '../support/until.js';

/** A subgraph that holds every request until the test releases it, answering each with what it was asked. */
class HeldSubgraph {
  readonly received: { body: { query: string; variables?: unknown }; authorization: string | undefined }[] = [];
  readonly #held: (() => void)[] = [];
  answer: 'echo' | 'html' = 'echo';
  cacheControl: string | undefined;
  readonly server: Server = createServer((request, response) => void this.#handle(request, response));

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += chunk;
    const body = JSON.parse(text) as { query: string; variables?: unknown };
    this.received.push({ body, authorization: request.headers.authorization });
    const n = this.received.length;
    this.#held.push(() => {
      if (this.answer === 'html') {
        response.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
        return;
      }
      response
        .writeHead(200, {
          'content-type': 'application/graphql-response+json',
          ...(this.cacheControl === undefined ? {} : { 'cache-control': this.cacheControl }),
        })
        .end(JSON.stringify({ data: { echo: { n, query: body.query, authorization: request.headers.authorization ?? null } } }));
    });
  }

  release(): void {
    for (const answer of this.#held.splice(0)) answer();
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }
}

const subgraph = new HeldSubgraph();
let deduplicated = 0;
const counts: SubgraphRequestCounts = new Map();
const metrics = { observe: () => undefined, deduplicated: () => void deduplicated++ };
const sources: SubgraphDataSource[] = [];

function source(deduplicateQueries: boolean): SubgraphDataSource {
  const created = new SubgraphDataSource('posts', subgraph.url, counts, metrics, { timeoutMs: 5000, deduplicateQueries });
  sources.push(created);
  return created;
}

function fetch(from: SubgraphDataSource, query: string, token?: string, variables: Record<string, unknown> = { id: '1' }) {
  const context = { viewer: token === undefined ? null : { token } } as unknown as GatewayContext;
  return from.process({ request: { query, variables }, context } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
}

beforeAll(async () => {
  subgraph.server.listen(0, '127.0.0.1');
  await once(subgraph.server, 'listening');
});
afterAll(async () => {
  await Promise.all(sources.map((s) => s.close()));
  subgraph.server.close();
});
beforeEach(() => {
  subgraph.received.length = 0;
  subgraph.answer = 'echo';
  subgraph.cacheControl = undefined;
  deduplicated = 0;
});

interface Echo {
  n: number;
  query: string;
  authorization: string | null;
}

/** What the held subgraph answered this caller. */
function echo(result: GatewayGraphQLResponse | undefined): Echo {
  return (result?.data as { echo: Echo } | undefined)?.echo as Echo;
}

const QUERY = 'query Post__posts__0($id:ID!){post(id:$id){id content}}';

describe('identical subgraph queries in flight at once', () => {
  it('share one request, and every caller gets an answer of its own', async () => {
    const posts = source(true);
    const answers = Array.from({ length: 5 }, () => fetch(posts, QUERY));
    await until(() => subgraph.received.length === 1 && deduplicated === 4);
    subgraph.release();
    const results = await Promise.all(answers);
    expect(results.map((r) => r.data)).toEqual(Array(5).fill({ echo: { n: 1, query: QUERY, authorization: null } }));
    // The executor merges into what it gets: no two callers may hold the same objects.
    expect(new Set(results.map((r) => r.data)).size).toBe(5);
    echo(results[0]).n = 99;
    expect(echo(results[1]).n).toBe(1);
    expect(subgraph.received).toHaveLength(1);
  });

  it('are sent again once the first is answered: only queries in flight are shared, never stored', async () => {
    const posts = source(true);
    const first = fetch(posts, QUERY);
    await until(() => subgraph.received.length === 1);
    subgraph.release();
    await first;
    const second = fetch(posts, QUERY);
    await until(() => subgraph.received.length === 2);
    subgraph.release();
    expect((await second).data).toEqual({ echo: { n: 2, query: QUERY, authorization: null } });
    expect(deduplicated).toBe(0);
  });

  it('are not shared between viewers, nor between different variables', async () => {
    const posts = source(true);
    const answers = [
      fetch(posts, QUERY, 'token-a'),
      fetch(posts, QUERY, 'token-b'),
      fetch(posts, QUERY),
      fetch(posts, QUERY, undefined, { id: '2' }),
      fetch(posts, QUERY, 'token-a'),
    ];
    await until(() => subgraph.received.length === 4 && deduplicated === 1);
    subgraph.release();
    const results = await Promise.all(answers);
    expect(subgraph.received.map((r) => r.authorization).sort()).toEqual(
      [undefined, undefined, 'Bearer token-a', 'Bearer token-b'].sort(),
    );
    expect(echo(results[0]).authorization).toBe('Bearer token-a');
    expect(echo(results[4]).authorization).toBe('Bearer token-a');
    expect(echo(results[1]).authorization).toBe('Bearer token-b');
  });

  it('never share a mutation', async () => {
    const posts = source(true);
    const mutation = 'mutation CreatePost__posts__0{createPost(input:{content:"hi"}){id}}';
    const answers = [fetch(posts, mutation, 'token-a', {}), fetch(posts, mutation, 'token-a', {})];
    await until(() => subgraph.received.length === 2);
    subgraph.release();
    expect((await Promise.all(answers)).map((r) => echo(r).n).sort()).toEqual([1, 2]);
    expect(deduplicated).toBe(0);
  });

  it('share a failure: every caller gets SUBGRAPH_UNAVAILABLE naming the subgraph', async () => {
    const posts = source(true);
    subgraph.answer = 'html';
    const answers = [fetch(posts, QUERY), fetch(posts, QUERY)].map((p) => p.catch((error: unknown) => error));
    await until(() => subgraph.received.length === 1 && deduplicated === 1);
    subgraph.release();
    for (const error of await Promise.all(answers)) {
      expect(error).toMatchObject({ message: 'The posts service is unavailable.', extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    }
  });

  it('are each sent when deduplication is off (SUBGRAPH_QUERY_DEDUPLICATION=false)', async () => {
    const posts = source(false);
    const answers = [fetch(posts, QUERY), fetch(posts, QUERY), fetch(posts, QUERY)];
    await until(() => subgraph.received.length === 3);
    subgraph.release();
    expect((await Promise.all(answers)).map((r) => echo(r).n).sort()).toEqual([1, 2, 3]);
    expect(deduplicated).toBe(0);
  });

  it("pass the subgraph's Cache-Control on to every caller, where the entity cache reads it", async () => {
    const posts = source(true);
    subgraph.cacheControl = 'max-age=5';
    const answers = [fetch(posts, QUERY), fetch(posts, QUERY)];
    await until(() => subgraph.received.length === 1 && deduplicated === 1);
    subgraph.release();
    for (const result of await Promise.all(answers)) expect(result.http?.headers.get('cache-control')).toBe('max-age=5');
    subgraph.cacheControl = undefined;
    const plain = fetch(posts, QUERY);
    await until(() => subgraph.received.length === 2);
    subgraph.release();
    expect((await plain).http).toBeUndefined();
  });
});
