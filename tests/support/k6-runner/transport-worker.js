/**
 * The HTTP transport thread: performs the requests of every VU (http-client.js) with node:http
 * over keep-alive connections, and answers each VU on the port it asked on. For a synchronous
 * exchange it then sets the VU's shared flag and wakes it (Atomics.notify).
 *
 * Like k6's Go client it sends only the headers given plus Host, Content-Length and a
 * User-Agent; unlike k6 it follows no redirects and reports the whole exchange (connecting
 * included) as the request's duration.
 */
import http from 'node:http';
import https from 'node:https';
import { parentPort } from 'node:worker_threads';

const USER_AGENT = 'k6-shim (ChitLaq test runner; not k6)';
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * @param {{ method: string, url: string, body: string | null, headers: Record<string, string>, timeoutMs: number }} request
 */
function perform(request) {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (/** @type {object} */ fields) =>
      resolve({ url: request.url, durationMs: performance.now() - started, ...fields });
    let url;
    try {
      url = new URL(request.url);
    } catch {
      finish({ status: 0, statusText: '', headers: {}, body: null, error: `invalid URL ${request.url}`, errorCode: 1020 });
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    /** @type {Record<string, string>} */
    const headers = { 'User-Agent': USER_AGENT, ...request.headers };
    if (request.body !== null) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const req = client.request(url, { method: request.method, headers, agent: agents[/** @type {'http:'} */ (url.protocol)] });
    req.setTimeout(request.timeoutMs, () => req.destroy(new Error('request timeout')));
    req.on('response', (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        finish({
          status: res.statusCode ?? 0,
          statusText: `${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
          headers: canonicalHeaders(res.headers),
          body: Buffer.concat(chunks).toString('utf8'),
          error: '',
          errorCode: 0,
        }),
      );
      res.on('error', (error) =>
        finish({ status: 0, statusText: '', headers: {}, body: null, error: error.message, errorCode: 1000 }),
      );
    });
    req.on('error', (error) =>
      finish({
        status: 0,
        statusText: '',
        headers: {},
        body: null,
        error: error.message,
        // k6's codes: 1050 request timeout, 1000 any other non-HTTP failure.
        errorCode: error.message === 'request timeout' ? 1050 : 1000,
      }),
    );
    req.end(request.body ?? undefined);
  });
}

/** `content-type` → `Content-Type`, as k6 (Go's net/http) names response headers. */
function canonicalHeaders(/** @type {import('node:http').IncomingHttpHeaders} */ raw) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [name, value] of Object.entries(raw)) {
    const key = name.replace(/(^|-)([a-z])/g, (_, dash, letter) => dash + letter.toUpperCase());
    out[key] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * All of `requests`, at most `limits.total` in flight and `limits.perHost` per host (k6's
 * `batch` and `batchPerHost`; 0 means no limit); responses in request order.
 * @param {Array<Parameters<typeof perform>[0]>} requests
 * @param {{ total: number, perHost: number }} limits
 */
function performAll(requests, limits) {
  return new Promise((resolve) => {
    const responses = new Array(requests.length);
    const started = requests.map(() => false);
    /** @type {Map<string, number>} */
    const perHost = new Map();
    let running = 0;
    let done = 0;
    if (requests.length === 0) resolve(responses);
    const pump = () => {
      requests.forEach((request, i) => {
        if (started[i]) return;
        const host = URL.canParse(request.url) ? new URL(request.url).host : request.url;
        const busy = perHost.get(host) ?? 0;
        if ((limits.total > 0 && running >= limits.total) || (limits.perHost > 0 && busy >= limits.perHost)) return;
        started[i] = true;
        running += 1;
        perHost.set(host, busy + 1);
        perform(request).then((response) => {
          responses[i] = response;
          running -= 1;
          perHost.set(host, (perHost.get(host) ?? 1) - 1);
          done += 1;
          if (done === requests.length) resolve(responses);
          else pump();
        });
      });
    };
    pump();
  });
}

/** @typedef {{ id?: number, requests: Array<Parameters<typeof perform>[0]>, limits: { total: number, perHost: number } }} Exchange */

// One pair of ports and a flag per VU (main.js attaches each VU here).
parentPort?.on('message', ({ syncPort, asyncPort, flag }) => {
  const ready = new Int32Array(flag);
  syncPort.on('message', async (/** @type {Exchange} */ { requests, limits }) => {
    const responses = await performAll(requests, limits);
    syncPort.postMessage({ responses });
    Atomics.store(ready, 0, 1);
    Atomics.notify(ready, 0);
  });
  asyncPort.on('message', async (/** @type {Exchange} */ { id, requests, limits }) => {
    asyncPort.postMessage({ id, responses: await performAll(requests, limits) });
  });
});
