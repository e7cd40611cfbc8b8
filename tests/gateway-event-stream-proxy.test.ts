import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxBinary, type RunningNginx, runNginx } from '../scripts/cluster/nginx.js';
import { freePort } from '../scripts/free-port.js';
import { nextEvents } from './support/event-stream.js';
import { graphql, registerUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';

/**
 * Subscriptions over server-sent events behind an nginx that is not ours: a plain `proxy_pass`
 * (HTTP/1.0 to the upstream, nginx's default `proxy_buffering on`) holds back the stream, its
 * head included, until a buffer fills or the stream ends. The gateway's `X-Accel-Buffering: no`
 * turns buffering off for its event streams (deploy/nginx.conf turns it off for everything;
 * other nginx setups need not).
 */

const platform = usePlatform();
const hasNginx = nginxBinary() !== undefined;
let nginx: RunningNginx | undefined;
let dir: string | undefined;
let proxiedUrl: string;

beforeAll(async () => {
  if (!hasNginx) return;
  dir = mkdtempSync(join(tmpdir(), 'chitlaq-plain-nginx-'));
  const port = await freePort();
  const gateway = new URL(platform.gatewayUrl);
  nginx = await runNginx({
    dir,
    listenPort: port,
    config: ({ pidFile, tempDir }) => `
      worker_processes 1;
      pid ${pidFile};
      events { worker_connections 64; }
      http {
        access_log off;
        client_body_temp_path ${tempDir}/body;
        proxy_temp_path ${tempDir}/proxy;
        fastcgi_temp_path ${tempDir}/fastcgi;
        uwsgi_temp_path ${tempDir}/uwsgi;
        scgi_temp_path ${tempDir}/scgi;
        server {
          listen 127.0.0.1:${port};
          location / {
            proxy_pass http://${gateway.host};
          }
        }
      }`,
  });
  proxiedUrl = `http://127.0.0.1:${port}${gateway.pathname}`;
});

afterAll(async () => {
  await nginx?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const MESSAGE_ADDED = 'subscription ($c: ID) { messageAdded(conversationId: $c) { body } }';

/** An SSE subscription: the bodies of its `next` events as they arrive, and a way to wait for one. */
async function streamMessages(url: string, token: string, conversationId: string) {
  const controller = new AbortController();
  // A buffering proxy holds back even the head of the stream: fail on that, not on the test's timeout.
  const headersDue = setTimeout(() => controller.abort(new Error(`no answer from ${url} within 5 s`)), 5000);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: MESSAGE_ADDED, variables: { c: conversationId } }),
    signal: controller.signal,
  }).finally(() => clearTimeout(headersDue));
  const bodies: string[] = [];
  let arrived: (() => void) | undefined;
  void (async () => {
    type Next = { data: { messageAdded: { body: string } } };
    for await (const event of nextEvents<Next>(response.body as ReadableStream<Uint8Array>)) {
      bodies.push(event.data.messageAdded.body);
      arrived?.();
    }
  })();
  /** Resolves at the next event, or false if none comes within `ms`. */
  const nextEvent = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      arrived = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  return { response, bodies, nextEvent, stop: () => controller.abort() };
}

describe('server-sent events', () => {
  it('say X-Accel-Buffering: no, and a plain JSON answer does not', async () => {
    const ada = await registerUser(platform.gatewayUrl);
    const chat = await startConversation(platform.gatewayUrl, ada, [await registerUser(platform.gatewayUrl)]);
    const stream = await streamMessages(platform.gatewayUrl, ada.token, chat.id);
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
    stream.stop();
    const plain = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await plain.json()).toEqual({ data: { __typename: 'Query' } });
    expect(plain.headers.get('x-accel-buffering')).toBeNull();
  });

  it.runIf(hasNginx)('reach the client through a plain nginx proxy_pass one by one, while the stream stays open', async () => {
    const [ada, bob] = await Promise.all([registerUser(platform.gatewayUrl), registerUser(platform.gatewayUrl)]);
    const chat = await startConversation(platform.gatewayUrl, ada, [bob]);
    const stream = await streamMessages(proxiedUrl, bob.token, chat.id);
    expect(stream.response.status).toBe(200);
    // The subscription is live once a warm-up comes through; each is sent when the last was answered.
    let live = false;
    for (let attempt = 0; attempt < 20 && !live; attempt++) {
      const waiting = stream.nextEvent(250);
      await sendMessage(platform.gatewayUrl, ada, chat.id, `warm-up ${attempt}`);
      live = await waiting;
    }
    expect(live, 'no event came through nginx within 20 sends').toBe(true);
    const before = stream.bodies.length;
    for (const body of ['first', 'second']) {
      const waiting = stream.nextEvent(5000);
      await sendMessage(platform.gatewayUrl, ada, chat.id, body);
      expect(await waiting, `"${body}" held back by nginx`).toBe(true);
    }
    expect(stream.bodies.slice(before)).toEqual(['first', 'second']);
    stream.stop();
    // nginx still answers plain requests after the stream closed.
    expect((await graphql(proxiedUrl, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});
