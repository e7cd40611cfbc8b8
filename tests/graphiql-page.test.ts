import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { nextEvents } from './support/event-stream.js';
import { errorCodes, type GraphQLErrorShape, registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';

/** The headers GraphiQL adds to every request it sends (gateway/graphiql.ts). */
const GRAPHIQL_HEADERS = { 'x-graphql-csrf': 'graphiql' };

const platform = usePlatform();

/** A GET of the page as bytes on the wire: fetch() would decompress them. */
function rawGet(headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(platform.gatewayUrl, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** The page without compression (fetch() asks for br and gzip unless told otherwise). */
function getPage(headers: Record<string, string> = {}, search = ''): Promise<Response> {
  return fetch(`${platform.gatewayUrl}${search}`, {
    headers: { accept: 'text/html', 'accept-encoding': 'identity', ...headers },
  });
}

describe('the GraphiQL page', () => {
  it('carries all of its code: no script, style or font comes from another server', async () => {
    const response = await getPage();
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html.length).toBeGreaterThan(5_000_000);
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
    // Yoga's own page loads `<script src=https://unpkg.com/...>`, `<link href=https://...>` and
    // fetches its editor workers from unpkg.
    expect(html.match(/<(script|link)[^>]*\s(src|href)=["']?https?:/g)).toBeNull();
    expect(html.match(/unpkg\.com|cdn\.jsdelivr\.net/g)).toBeNull();
    expect(html.match(/@import\s+(url\()?["']?https?:/g)).toBeNull();
  });

  it('is revalidated on every open and answered 304 while it has not changed', async () => {
    const first = await getPage();
    await first.arrayBuffer();
    const etag = first.headers.get('etag');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await getPage({ 'if-none-match': etag ?? '' });
    expect([again.status, await again.text(), again.headers.get('etag')]).toEqual([304, '', etag]);
    const other = await getPage({ 'if-none-match': '"something-else"' });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it('goes out compressed once: the brotli body is the page, with its own ETag', async () => {
    const plain = Buffer.from(await (await getPage()).arrayBuffer());
    const compressed = await rawGet({ accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' });
    expect(compressed.headers['content-encoding']).toBe('br');
    expect(compressed.headers.vary).toBe('accept-encoding');
    expect(compressed.body.length).toBeLessThan(plain.length / 3);
    expect(brotliDecompressSync(compressed.body).equals(plain)).toBe(true);
    expect(compressed.headers.etag).toMatch(/-br"$/);
  });

  it('shows the demo login once the platform announces it, as a new page', async () => {
    const before = await getPage();
    expect(await before.text()).not.toContain('Demo data is loaded');
    platform.announceDemoLogin({ email: 'demo.user@example.edu', password: 'chitlaq-demo-password' });
    const after = await getPage({ 'if-none-match': before.headers.get('etag') ?? '' });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(await after.text()).toContain('demo.user@example.edu');
  });

  it('runs subscriptions over graphql-ws, or over SSE with ?subscriptionsProtocol=SSE', async () => {
    const options = async (search: string) => {
      const html = await (await getPage({}, search)).text();
      return /YogaGraphiQL\.renderYogaGraphiQL\([^,]+,\s*(\{.*\}),\s*\);\s*<\/script>/s.exec(html)?.[1];
    };
    const ws = JSON.parse((await options('')) ?? 'null');
    const sse = JSON.parse((await options('?subscriptionsProtocol=SSE')) ?? 'null');
    expect([ws?.subscriptionsProtocol, sse?.subscriptionsProtocol]).toEqual(['WS', 'SSE']);
    expect(sse.additionalHeaders).toEqual(GRAPHIQL_HEADERS);
  });
});

describe('an SSE subscription as GraphiQL sends it (a GET, its headers, the Headers tab)', () => {
  let viewer: TestUser;
  let sender: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    [viewer, sender] = await Promise.all([registerUser(platform.gatewayUrl), registerUser(platform.gatewayUrl)]);
    conversationId = (await startConversation(platform.gatewayUrl, sender, [viewer])).id;
  });

  /** The events of a GET subscription, read until `until` holds or the stream ends. */
  async function subscribe(
    headers: Record<string, string>,
    variables: Record<string, unknown>,
    until: (events: SseEvent[]) => boolean,
  ): Promise<SseEvent[]> {
    const url = new URL(platform.gatewayUrl);
    url.searchParams.set(
      'query',
      'subscription ($c: ID, $after: ID) { messageAdded(conversationId: $c, after: $after) { body sender { username } } }',
    );
    url.searchParams.set('variables', JSON.stringify(variables));
    const controller = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events: SseEvent[] = [];
    try {
      if (!until(events)) {
        for await (const event of nextEvents<SseEvent>(response.body as ReadableStream<Uint8Array>)) {
          events.push(event);
          if (until(events)) break;
        }
      }
    } finally {
      controller.abort();
    }
    return events;
  }

  it('is signed in by the Authorization header, as over HTTP', async () => {
    const seen = await sendMessage(platform.gatewayUrl, sender, conversationId, 'before the stream');
    const missed = await sendMessage(platform.gatewayUrl, sender, conversationId, 'replayed to the stream');
    const events = await subscribe(
      { ...GRAPHIQL_HEADERS, authorization: `Bearer ${viewer.token}` },
      { c: conversationId, after: seen.id },
      (received) => received.length > 0,
    );
    expect(events).toEqual([{ data: { messageAdded: { body: missed.body, sender: { username: sender.username } } } }]);
  });

  it('answers UNAUTHENTICATED without a token, and for a bad one', async () => {
    const anonymous = await subscribe(GRAPHIQL_HEADERS, { c: conversationId }, () => false);
    const forged = await subscribe(
      { ...GRAPHIQL_HEADERS, authorization: 'Bearer not.a.token' },
      { c: conversationId },
      () => false,
    );
    expect([codes(anonymous), codes(forged)]).toEqual([['UNAUTHENTICATED'], ['UNAUTHENTICATED']]);
  });

  it("is refused as a possible CSRF without GraphiQL's preflight header", async () => {
    const events = await subscribe({ authorization: `Bearer ${viewer.token}` }, { c: conversationId }, () => false);
    expect(codes(events)).toEqual(['BAD_REQUEST']);
  });
});

interface SseEvent {
  data?: unknown;
  errors?: GraphQLErrorShape[];
}

function codes(events: SseEvent[]): (string | undefined)[] {
  return events.flatMap((event) => errorCodes({ status: 200, headers: new Headers(), data: null, errors: event.errors }));
}
