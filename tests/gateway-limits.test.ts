import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { getIntrospectionQuery } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql, registerUser } from './support/graphql.js';
import { type TestPlatform, usePlatforms } from './support/platform.js';
import { connectSocket } from './support/websocket.js';

const [platform, strict] = usePlatforms(
  /** Defaults: what `npm start` runs. */
  [],
  /** Small limits, production (no field suggestions, and introspection and GraphiQL off by default). */
  [
    {
      NODE_ENV: 'production',
      SUBGRAPH_SIGNING_SECRET: 'subgraph-signing-secret-of-the-strict-platform',
      GRAPHQL_MAX_DEPTH: '4',
      GRAPHQL_MAX_ALIASES: '2',
      GRAPHQL_MAX_TOKENS: '60',
      GRAPHQL_MAX_DIRECTIVES: '2',
      GRAPHQL_MAX_COST: '20',
    },
  ],
) as [TestPlatform, TestPlatform];
let url: string;
let strictUrl: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
  strictUrl = strict.gatewayUrl;
});

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };

async function post(target: string, body: string, headers: Record<string, string> = JSON_HEADERS) {
  const response = await fetch(target, { method: 'POST', headers, body });
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely, asserting their shape with expect()
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

const codesOf = (body: { errors?: { extensions?: { code?: string } }[] }) =>
  (body.errors ?? []).map((error) => error.extensions?.code);

describe('operation limits', () => {
  it('refuses an operation deeper than GRAPHQL_MAX_DEPTH', async () => {
    const response = await graphql(strictUrl, '{ me { followers { nodes { followers { nodes { id } } } } } }');
    // Deeper is also costlier: the cost limit may refuse it too.
    expect(errorCodes(response)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(response.errors?.map((error) => error.message).join()).toMatch(/depth limit of 4/);
    expect(response.data).toBeUndefined();
    const shallow = await graphql(strictUrl, '{ me { followers { nodes { id } } } }');
    expect(shallow.errors).toBeUndefined();
  });

  it('refuses more aliases than GRAPHQL_MAX_ALIASES', async () => {
    const response = await graphql(strictUrl, '{ a: me { id } b: me { id } c: me { id } }');
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect((await graphql(strictUrl, '{ a: me { id } b: me { id } }')).errors).toBeUndefined();
  });

  it('refuses a document of more than GRAPHQL_MAX_TOKENS tokens', async () => {
    const response = await graphql(strictUrl, `{ ${Array.from({ length: 61 }, () => '__typename').join(' ')} }`);
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('refuses more directives than GRAPHQL_MAX_DIRECTIVES', async () => {
    const response = await graphql(strictUrl, '{ __typename @skip(if: false) @skip(if: false) @skip(if: false) }');
    expect(new Set(errorCodes(response))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    expect(response.errors?.[0]?.message).toMatch(/Directives limit of 2/);
  });

  it('refuses an operation over GRAPHQL_MAX_COST with OPERATION_TOO_COMPLEX', async () => {
    const response = await graphql(
      strictUrl,
      '{ me { id username displayName followers { nodes { id username displayName email } } following { nodes { id username } } } }',
    );
    expect(errorCodes(response)).toContain('OPERATION_TOO_COMPLEX');
  });

  it('hides field suggestions in production and shows them otherwise', async () => {
    const hidden = await graphql(strictUrl, '{ mee { id } }');
    expect(errorCodes(hidden)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(hidden.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const shown = await graphql(url, '{ mee { id } }');
    expect(shown.errors?.[0]?.message).toMatch(/Did you mean "me"/);
  });

  it('applies the limits to operations over the WebSocket', async () => {
    const user = await registerUser(strictUrl);
    const socket = connectSocket(strictUrl, user.token);
    await socket.connected;
    const outcome = await new Promise<unknown>((resolve) => {
      socket.client.subscribe(
        { query: '{ me { followers { nodes { followers { nodes { id } } } } } }' },
        { next: resolve, error: resolve, complete: () => undefined },
      );
    });
    expect(Array.isArray(outcome)).toBe(true);
    expect((outcome as { extensions?: { code?: string } }[]).map((error) => error.extensions?.code)).toContain(
      'GRAPHQL_VALIDATION_FAILED',
    );
    // The token limit refuses while parsing, before validation.
    const tooLong = await new Promise<unknown>((resolve) => {
      socket.client.subscribe(
        { query: `{ ${Array.from({ length: 61 }, () => '__typename').join(' ')} }` },
        { next: resolve, error: resolve, complete: () => undefined },
      );
    });
    expect((tooLong as { extensions?: { code?: string } }[]).map((error) => error.extensions?.code)).toEqual([
      'GRAPHQL_VALIDATION_FAILED',
    ]);
    // The socket stays open for the next operation: a refusal is not an internal error.
    const next = await new Promise<unknown>((resolve) => {
      socket.client.subscribe({ query: '{ me { id } }' }, { next: resolve, error: resolve, complete: () => undefined });
    });
    expect(next).toEqual({ data: { me: { id: user.id } } });
    await socket.dispose();
  });

  it('lets GraphiQL’s introspection query through with the default limits', async () => {
    const response = await graphql(url, getIntrospectionQuery());
    expect(response.errors).toBeUndefined();
    expect(response.data.__schema.queryType.name).toBe('Query');
  });
});

describe('production defaults', () => {
  it('counts every alias, `__typename` ones too', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    expect(errorCodes(await graphql(url, aliases(101)))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect((await graphql(url, aliases(30))).errors).toBeUndefined();
  });

  it('answers 10 copies of an unknown directive with one error', async () => {
    const response = await graphql(url, `query cop { __typename ${'@aa'.repeat(10)} }`);
    expect(response.errors).toEqual([
      expect.objectContaining({ message: 'Unknown directive "@aa".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
  });

  it('serves no GraphiQL in production unless GRAPHIQL=true', async () => {
    const page = await fetch(strictUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('ChitLaq Graph');
  });
});

describe('introspection', () => {
  it('is off in production unless INTROSPECTION=true, over HTTP and WebSocket', async () => {
    const response = await graphql(strictUrl, '{ __schema { queryType { name } } }');
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(new Set(errorCodes(response))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    // __typename is not introspection of the schema: clients (Apollo) add it everywhere.
    expect((await graphql(strictUrl, '{ __typename }')).errors).toBeUndefined();
  });
});

describe('CSRF prevention', () => {
  it('refuses a GET without a preflight header', async () => {
    const response = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
    expect(codesOf((await response.json()) as never)).toEqual(['BAD_REQUEST']);
  });

  it('refuses a POST with a simple content type and no preflight header', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await post(url, body, { 'content-type': contentType });
      expect(response.status).toBe(400);
      expect(codesOf(response.body)).toEqual(['BAD_REQUEST']);
    }
  });

  it('accepts a GET with a non-empty preflight header (persisted queries) and refuses an empty one', async () => {
    const query = `${url}?query=${encodeURIComponent('{ __typename }')}`;
    for (const header of ['x-graphql-csrf', 'apollo-require-preflight']) {
      const response = await fetch(query, { headers: { [header]: '1' } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    }
    expect((await fetch(query, { headers: { 'x-graphql-csrf': '' } })).status).toBe(400);
  });

  it('still serves GraphiQL to a browser', async () => {
    const response = await fetch(url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('ChitLaq Graph');
  });
});

describe('request limits', () => {
  it('answers a body over 1 MiB with 413', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(1024 * 1024) } });
    const response = await post(url, body);
    expect(response.status).toBe(413);
    expect(codesOf(response.body)).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
  });

  it('bounds a body sent without a Content-Length (chunked) too: 413 over 1 MiB, answered under it', async () => {
    /** POSTs `body` in 64 KiB chunks, so it goes out chunked, with no Content-Length. */
    const chunked = async (body: string) => {
      const bytes = new TextEncoder().encode(body);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.subarray(at, at + 64 * 1024));
          controller.close();
        },
      });
      const response = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: stream, duplex: 'half' } as RequestInit);
      // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely, asserting their shape with expect()
      return { status: response.status, body: (await response.json()) as any };
    };
    const over = await chunked(JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(1024 * 1024) } }));
    expect(over.status).toBe(413);
    expect(codesOf(over.body)).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
    const under = await chunked(JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(200 * 1024) } }));
    expect(under.status).toBe(200);
    expect(under.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers malformed JSON with 400 and a GraphQL error', async () => {
    const response = await post(url, '{"query": "{ __typename }"');
    expect(response.status).toBe(400);
    expect(codesOf(response.body)).toEqual(['BAD_REQUEST']);
  });

  it('runs a batch of up to 10 operations and answers more with 413', async () => {
    const batch = (size: number) => JSON.stringify(Array.from({ length: size }, () => ({ query: '{ __typename }' })));
    const ten = await post(url, batch(10));
    expect(ten.status).toBe(200);
    expect(ten.body).toHaveLength(10);
    expect(ten.body[9]).toEqual({ data: { __typename: 'Query' } });
    const eleven = await post(url, batch(11));
    expect(eleven.status).toBe(413);
    expect(codesOf(eleven.body)).toEqual(['BAD_REQUEST']);
  });
});

describe('response compression', () => {
  async function fetchRaw(query: string, acceptEncoding?: string) {
    const { request } = await import('node:http');
    // Node's fetch decompresses on its own and hides the encoding; node:http shows the bytes.
    return new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ query }));
    });
  }

  it('compresses bodies over 1 KiB with br or gzip, as the client accepts', async () => {
    const introspection = getIntrospectionQuery();
    const br = await fetchRaw(introspection, 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.body).toString()).data.__schema).toBeDefined();
    const gzip = await fetchRaw(introspection, 'gzip');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.body).toString()).data.__schema).toBeDefined();
    const none = await fetchRaw(introspection);
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(none.headers.vary).toMatch(/accept-encoding/i);
    expect(JSON.parse(none.body.toString()).data.__schema).toBeDefined();
  });

  it('sends small bodies uncompressed', async () => {
    const small = await fetchRaw('{ __typename }', 'gzip, br');
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString())).toEqual({ data: { __typename: 'Query' } });
  });
});
