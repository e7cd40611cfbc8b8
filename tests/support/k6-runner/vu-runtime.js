/**
 * The one k6 virtual user that a worker thread plays (vu-worker.js): its ids, the stage of the
 * test lifecycle it is in, the metric samples it records, and its event loop's pending work.
 * The shims (shims/*.js) import this module; every worker thread has a copy of its own, as every
 * k6 VU has a JS runtime of its own.
 *
 * Not k6: a stand-in for the part of k6's runtime that the repository's k6 scripts touch.
 */
import { setImmediate as nativeSetImmediate } from 'node:timers';
import { workerData } from 'node:worker_threads';

/** @typedef {'init' | 'setup' | 'default' | 'teardown'} Stage */
/** The stages of a VU's own code, outside the init context. @type {Stage[]} */
export const VU_STAGES = ['setup', 'default', 'teardown'];

/** This VU: `id` is k6's `exec.vu.idInTest` and `__VU` (0 for the setup/teardown VU). */
export const vu = {
  id: /** @type {number} */ (workerData.vuId),
  /** `exec.vu.iterationInInstance`, `__ITER`: -1 until the first iteration. */
  iteration: -1,
  /** @type {Stage} */
  stage: 'init',
  /** The script's `options` (k6's consolidated options are these, as no CLI flag is given). */
  options: /** @type {Record<string, unknown>} */ ({}),
  /** How the k6/websockets shim treats subprotocols (main.js, --ws-*). */
  shim: /** @type {{ wsProtocolsArgument: 'ignore' | 'apply', wsSubprotocolHeader: 'send' | 'drop' }} */ (workerData.shim),
};

/** The error `exec.test.abort()` throws; k6 stops the whole test, whatever catches it. */
export class TestAbort extends Error {
  /** @param {string} reason */
  constructor(reason) {
    super(`test aborted: ${reason}`);
    this.name = 'TestAbort';
    this.reason = reason;
  }
}

/** Set by `exec.test.abort()`: even a script that catches the error ends the test. */
export const abort = { reason: /** @type {string | null} */ (null) };

/**
 * Throws unless the VU is in one of `stages`, with k6's wording, e.g. custom metrics can only
 * be declared in the init context and only be added to outside it.
 * @param {Stage[]} stages
 * @param {string} message
 */
export function requireStage(stages, message) {
  if (!stages.includes(vu.stage)) throw new Error(message);
}

// ---- metrics -------------------------------------------------------------------------------

/** @typedef {'counter' | 'gauge' | 'rate' | 'trend'} MetricType */
/** @typedef {{ metric: string, value: number, tags: Record<string, string> }} Sample */

/** Custom metrics declared by the script in this VU: name → { type, isTime }. */
export const declaredMetrics = new Map();

/** @type {Sample[]} */
let samples = [];

/**
 * One metric sample. Tags are stringified as k6 does; the caller merges its own.
 * @param {string} metric
 * @param {number} value
 * @param {Record<string, unknown>} [tags]
 */
export function addSample(metric, value, tags = {}) {
  /** @type {Record<string, string>} */
  const stringTags = {};
  for (const [key, tag] of Object.entries(tags)) stringTags[key] = String(tag);
  samples.push({ metric, value, tags: stringTags });
}

/** The samples recorded since the last call (sent to the controller after each phase). */
export function takeSamples() {
  const taken = samples;
  samples = [];
  return taken;
}

/** What the ws shim saw of each socket (main.js puts it in the report). */
export const socketLog = /** @type {object[]} */ ([]);

// ---- the event loop ------------------------------------------------------------------------

/**
 * k6 ends an iteration when its event loop has nothing left to run: no timer, no open socket, no
 * request in flight. Each of those holds the loop (`holdLoop`) until it is done (`releaseLoop`).
 * @type {Map<number, () => void>} token → how to cancel it when the iteration fails
 */
const pending = new Map();
let nextToken = 1;
/** @type {unknown} */
let failure;
let failed = false;
/** @type {{ resolve: () => void, reject: (error: unknown) => void } | null} */
let waiter = null;
let checkQueued = false;

/**
 * Keeps the iteration running until `releaseLoop(token)`.
 * @param {() => void} cancel stops the work when the iteration fails
 */
export function holdLoop(cancel) {
  const token = nextToken++;
  pending.set(token, cancel);
  return token;
}

/** @param {number} token */
export function releaseLoop(token) {
  if (pending.delete(token)) queueIdleCheck();
}

/** The work holding the loop, for a VU that never goes idle (main.js reports it). */
export function pendingCount() {
  return pending.size;
}

/**
 * Runs a script callback (timer, socket event, promise continuation); an exception ends the
 * iteration as in k6, where it interrupts the VU's event loop.
 * @param {Function} callback
 * @param {unknown[]} args
 */
export function runCallback(callback, args) {
  try {
    return callback(...args);
  } catch (error) {
    failIteration(error);
    return undefined;
  }
}

/**
 * Ends the iteration with `error`: pending timers, sockets and requests are cancelled.
 * @param {unknown} error
 */
export function failIteration(error) {
  if (!failed) {
    failed = true;
    failure = error;
  }
  for (const [token, cancel] of [...pending]) {
    pending.delete(token);
    cancel();
  }
  queueIdleCheck();
}

function queueIdleCheck() {
  if (checkQueued) return;
  checkQueued = true;
  // setImmediate runs after the microtasks (promise continuations) that may hold the loop again.
  nativeSetImmediate(() => {
    checkQueued = false;
    if (waiter === null) return;
    if (failed) {
      const { reject } = waiter;
      waiter = null;
      reject(failure);
    } else if (pending.size === 0) {
      const { resolve } = waiter;
      waiter = null;
      resolve();
    }
  });
}

/** Resolves when the loop has nothing left to run; rejects with the error that ended it. */
export function loopSettled() {
  return /** @type {Promise<void>} */ (
    new Promise((resolve, reject) => {
      waiter = { resolve: () => resolve(undefined), reject };
      queueIdleCheck();
    })
  );
}

/** A fresh loop for the next iteration or phase. */
export function resetLoop() {
  pending.clear();
  failed = false;
  failure = undefined;
  waiter = null;
}
