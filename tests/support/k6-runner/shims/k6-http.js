/**
 * Shim of `k6/http`: `request`, `get`, `post`, `batch` (synchronous, as in k6) and
 * `asyncRequest` (a promise that holds the VU's event loop until it settles). Bodies are strings
 * (or null); params take `headers`, `tags` and `timeout`. Every response records k6's
 * `http_reqs`, `http_req_duration` and `http_req_failed` (status outside 200-399, or no
 * response), tagged `method`, `url`, `name` (the `name` tag or the URL), `status`,
 * `expected_response` and the params' tags. Network failures give status 0 with `error` and
 * `error_code`, and are not thrown, as with k6's default `throw: false`. `batch` sends at most
 * `options.batch` requests at once and `options.batchPerHost` per host (k6's defaults 20 and 6).
 */
import { exchange, send } from '../http-client.js';
import { addSample, holdLoop, releaseLoop, requireStage, VU_STAGES, vu } from '../vu-runtime.js';
import { strict } from './strict.js';

/** k6 params this shim does not implement: a script that passes one fails instead of being misread. */
const UNSUPPORTED_PARAMS = ['auth', 'cookies', 'compression', 'jar', 'redirects', 'responseType', 'responseCallback', 'throw'];
const DEFAULT_TIMEOUT_MS = 60_000;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** @param {unknown} timeout */
function timeoutMs(timeout) {
  if (timeout === undefined || timeout === null) return DEFAULT_TIMEOUT_MS;
  if (typeof timeout === 'number') return timeout;
  const match = DURATION.exec(String(timeout).trim());
  if (match === null) throw new Error(`k6 shim: unsupported timeout "${timeout}" (a number of ms or e.g. 30s)`);
  return Number(match[1]) * UNIT_MS[/** @type {'ms'} */ (match[2])];
}

/**
 * The transport's request for (method, url, body, params), and the tags of its samples.
 * @param {string} method
 * @param {unknown} url
 * @param {unknown} body
 * @param {Record<string, any> | undefined | null} params
 */
function prepare(method, url, body, params) {
  requireStage(VU_STAGES, 'Making http requests in the init context is not supported');
  const given = params ?? {};
  for (const key of UNSUPPORTED_PARAMS) {
    if (given[key] !== undefined) throw new Error(`k6 shim: the http param "${key}" is not implemented by this test runner`);
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    throw new Error('k6 shim: only string bodies are implemented by this test runner');
  }
  /** @type {Record<string, string>} */
  const headers = {};
  for (const [name, value] of Object.entries(given.headers ?? {})) headers[name] = String(value);
  const request = {
    method: method.toUpperCase(),
    url: String(url),
    body: typeof body === 'string' ? body : null,
    headers,
    timeoutMs: timeoutMs(given.timeout),
  };
  return { request, tags: /** @type {Record<string, unknown>} */ (given.tags ?? {}) };
}

class Response {
  /**
   * @param {any} raw what transport-worker.js answered
   * @param {ReturnType<typeof prepare>['request']} request
   */
  constructor(raw, request) {
    this.status = raw.status;
    this.status_text = raw.statusText;
    this.body = raw.body;
    this.headers = raw.headers;
    this.url = raw.url;
    this.error = raw.error;
    this.error_code = raw.errorCode;
    this.timings = { duration: raw.durationMs };
    this.request = { method: request.method, url: request.url, body: request.body ?? '', headers: request.headers };
  }

  /** The body parsed as JSON; throws when it is not JSON, as k6's does. */
  json(/** @type {unknown} */ selector) {
    if (selector !== undefined) throw new Error('k6 shim: json(selector) is not implemented by this test runner');
    if (this.body === null || this.body === '') throw new Error('cannot parse json due to an empty body');
    return JSON.parse(this.body);
  }
}

/**
 * Records the response's samples and wraps it.
 * @param {any} raw
 * @param {ReturnType<typeof prepare>} prepared
 */
function complete(raw, { request, tags }) {
  const expected = raw.status >= 200 && raw.status <= 399;
  const sampleTags = {
    method: request.method,
    url: request.url,
    name: request.url,
    status: String(raw.status),
    expected_response: String(expected),
    ...tags,
  };
  addSample('http_reqs', 1, sampleTags);
  addSample('http_req_duration', raw.durationMs, sampleTags);
  addSample('http_req_failed', expected ? 0 : 1, sampleTags);
  if (raw.error) console.warn(`Request Failed: ${request.method} ${request.url}: ${raw.error}`);
  return new Response(raw, request);
}

/** k6's `batch`/`batchPerHost` options, for `batch`. */
function batchLimits() {
  const total = Number(vu.options.batch ?? 20);
  const perHost = Number(vu.options.batchPerHost ?? 6);
  return { total, perHost };
}

/**
 * @param {string} method
 * @param {unknown} url
 * @param {unknown} [body]
 * @param {Record<string, any>} [params]
 */
export function request(method, url, body, params) {
  const prepared = prepare(method, url, body, params);
  const [raw] = exchange([prepared.request], { total: 1, perHost: 1 });
  return complete(raw, prepared);
}

/** @param {unknown} url @param {Record<string, any>} [params] */
export function get(url, params) {
  return request('GET', url, null, params);
}

/** @param {unknown} url @param {unknown} [body] @param {Record<string, any>} [params] */
export function post(url, body, params) {
  return request('POST', url, body, params);
}

/**
 * Several requests in parallel: an array (or an object) of URLs, `[method, url, body, params]`
 * arrays or `{ method, url, body, params }` objects; the responses in the same shape.
 * @param {unknown[] | Record<string, unknown>} requests
 */
export function batch(requests) {
  const entries = Array.isArray(requests) ? requests.map((r, i) => [i, r]) : Object.entries(requests);
  const prepared = entries.map(([, spec]) => {
    if (typeof spec === 'string') return prepare('GET', spec, null, undefined);
    if (Array.isArray(spec)) return prepare(String(spec[0]), spec[1], spec[2], spec[3]);
    const { method = 'GET', url, body, params } = /** @type {Record<string, any>} */ (spec);
    return prepare(method, url, body, params);
  });
  const raws = exchange(
    prepared.map((p) => p.request),
    batchLimits(),
  );
  const responses = raws.map((raw, i) => complete(raw, prepared[i]));
  if (Array.isArray(requests)) return responses;
  return Object.fromEntries(entries.map(([key], i) => [key, responses[i]]));
}

/**
 * Like `request`, without blocking: the promise resolves with the response (network failures
 * included) and holds the VU's event loop until then.
 * @param {string} method
 * @param {unknown} url
 * @param {unknown} [body]
 * @param {Record<string, any>} [params]
 */
export function asyncRequest(method, url, body, params) {
  const prepared = prepare(method, url, body, params);
  let cancelled = false;
  const token = holdLoop(() => {
    cancelled = true;
  });
  return new Promise((resolve) => {
    send(prepared.request).then((raw) => {
      if (cancelled) return;
      resolve(complete(raw, prepared));
      releaseLoop(token); // its continuations run first (microtasks), then the idle check
    });
  });
}

export default strict('http', { request, get, post, batch, asyncRequest });
