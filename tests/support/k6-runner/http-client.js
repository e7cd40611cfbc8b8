/**
 * The VU side of HTTP: k6/http is synchronous (`http.post` returns the response), so the VU
 * thread hands its requests to the transport thread (transport-worker.js) and blocks in
 * Atomics.wait until that thread has posted the responses and flipped a shared flag; then it
 * reads them with receiveMessageOnPort. `asyncRequest` goes over a second port and resolves a
 * promise, the VU's event loop running meanwhile.
 *
 * A request: `{ method, url, body, headers, timeoutMs }`; a response:
 * `{ status, statusText, headers, body, url, error, errorCode, durationMs }`.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';

/** @type {import('node:worker_threads').MessagePort} */
const syncPort = workerData.http.syncPort;
/** @type {import('node:worker_threads').MessagePort} */
const asyncPort = workerData.http.asyncPort;
/** 0 while a synchronous exchange is under way, 1 once the responses are on `syncPort`. */
const ready = new Int32Array(/** @type {SharedArrayBuffer} */ (workerData.http.flag));

/**
 * Sends `requests` (in parallel, at most `limits.perHost` per host and `limits.total` at once)
 * and blocks until every response is in. Returns them in order.
 * @param {object[]} requests
 * @param {{ total: number, perHost: number }} limits
 */
export function exchange(requests, limits) {
  Atomics.store(ready, 0, 0);
  syncPort.postMessage({ requests, limits });
  while (Atomics.load(ready, 0) === 0) Atomics.wait(ready, 0, 0);
  const received = receiveMessageOnPort(syncPort);
  if (received === undefined) throw new Error('k6 shim: the transport thread flagged responses it did not send');
  return /** @type {object[]} */ (received.message.responses);
}

/** @type {Map<number, (response: object) => void>} */
const waiting = new Map();
let nextId = 1;
asyncPort.on('message', ({ id, responses }) => {
  const resolve = waiting.get(id);
  waiting.delete(id);
  if (waiting.size === 0) asyncPort.unref();
  resolve?.(responses[0]);
});
asyncPort.unref();

/**
 * Sends one request without blocking; resolves with its response.
 * @param {object} request
 * @returns {Promise<object>}
 */
export function send(request) {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    asyncPort.ref();
    asyncPort.postMessage({ id, requests: [request], limits: { total: 1, perHost: 1 } });
  });
}
