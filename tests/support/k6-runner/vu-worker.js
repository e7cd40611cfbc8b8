/**
 * One k6 VU in a worker thread: registers the resolve hook (hooks.js), installs k6's globals
 * (`__ENV`, `__VU`, `__ITER`, `open`, the timers, a `console` that goes to the controller),
 * runs the script's init context by importing it, and then whatever the controller (main.js)
 * asks: `setup`, iterations of the default function, `teardown`. Each phase lasts until the
 * function has returned and the VU's event loop has nothing left to run (vu-runtime.js), as an
 * iteration does in k6. Samples and the socket log go to the controller after each phase.
 */
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { clearInterval, clearTimeout, setInterval, setTimeout } from './shims/k6-timers.js';
import {
  abort,
  declaredMetrics,
  failIteration,
  loopSettled,
  requireStage,
  resetLoop,
  socketLog,
  TestAbort,
  takeSamples,
  vu,
} from './vu-runtime.js';

register('./hooks.js', import.meta.url);

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const scriptPath = /** @type {string} */ (workerData.script);

/** @param {unknown} value */
function formatted(value) {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack ?? value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** @param {string} level */
const logger =
  (level) =>
  (/** @type {unknown[]} */ ...args) =>
    port.postMessage({ type: 'log', vu: vu.id, level, text: args.map(formatted).join(' ') });

Object.assign(globalThis, {
  __ENV: { ...workerData.env },
  __VU: vu.id,
  setTimeout,
  clearTimeout,
  setInterval,
  clearInterval,
  console: { log: logger('info'), info: logger('info'), debug: logger('debug'), warn: logger('warn'), error: logger('error') },
  /**
   * k6's open(): the file's text (or an ArrayBuffer with mode "b"), init context only. Paths are
   * relative to the entry script's folder.
   * @param {string} path
   * @param {string} [mode]
   */
  open(path, mode) {
    requireStage(['init'], 'The "open()" function is only available in the init stage (i.e. the global scope)');
    const bytes = readFileSync(resolve(dirname(scriptPath), path));
    return mode === 'b' ? bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) : bytes.toString('utf8');
  },
});
Object.defineProperty(globalThis, '__ITER', { get: () => Math.max(0, vu.iteration) });
// k6 fails the iteration on a promise rejection nobody handles.
process.on('unhandledRejection', (reason) => failIteration(reason));

/** @param {unknown} error */
function describe(error) {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Runs `fn(arg)` as one phase in `stage`; settles when it has returned (an async function's
 * promise included) and the event loop is empty.
 * @param {import('./vu-runtime.js').Stage} stage
 * @param {Function} fn
 * @param {unknown} arg
 * @returns {Promise<{ ok: true, value: unknown } | { ok: false, error: unknown }>}
 */
async function runPhase(stage, fn, arg) {
  vu.stage = stage;
  resetLoop();
  try {
    const returned = fn(arg);
    /** @type {{ state: 'pending' | 'resolved' | 'rejected', value: unknown }} */
    const outcome = { state: 'resolved', value: returned };
    if (returned instanceof Promise) {
      outcome.state = 'pending';
      returned.then(
        (value) => Object.assign(outcome, { state: 'resolved', value }),
        (error) => Object.assign(outcome, { state: 'rejected', value: error }),
      );
    }
    await loopSettled();
    if (outcome.state === 'rejected') throw outcome.value;
    return { ok: true, value: outcome.value };
  } catch (error) {
    failIteration(error);
    return { ok: false, error };
  }
}

/** The phase's end for the controller: samples, socket log, and the error if any. */
function report(/** @type {Awaited<ReturnType<typeof runPhase>>} */ outcome) {
  const sockets = socketLog.splice(0);
  const samples = takeSamples();
  if (outcome.ok) return { ok: true, samples, sockets };
  return { ok: false, error: describe(outcome.error), samples, sockets };
}

/** @param {Awaited<ReturnType<typeof runPhase>>} outcome */
function aborted(outcome) {
  return abort.reason !== null || (!outcome.ok && outcome.error instanceof TestAbort);
}

/** @type {Record<string, any> | null} */
let script = null;
try {
  script = await import(pathToFileURL(scriptPath).href);
} catch (error) {
  port.postMessage({ type: 'initFailed', vu: vu.id, error: describe(error) });
}

if (script !== null) {
  vu.options = JSON.parse(JSON.stringify(script.options ?? {}));
  port.postMessage({
    type: 'ready',
    vu: vu.id,
    options: vu.options,
    metrics: Object.fromEntries(declaredMetrics),
    exports: {
      setup: typeof script.setup === 'function',
      default: typeof script.default === 'function',
      teardown: typeof script.teardown === 'function',
    },
  });
}

port.on('message', async (/** @type {any} */ command) => {
  if (script === null) return;
  if (command.type === 'setup' || command.type === 'teardown') {
    const fn = script[command.type];
    const data = command.dataJson === null ? undefined : JSON.parse(command.dataJson);
    /** @type {Awaited<ReturnType<typeof runPhase>>} */
    const outcome = typeof fn === 'function' ? await runPhase(command.type, fn, data) : { ok: true, value: undefined };
    const dataJson = command.type === 'setup' && outcome.ok && outcome.value !== undefined ? JSON.stringify(outcome.value) : null;
    port.postMessage({
      type: `${command.type}Done`,
      aborted: aborted(outcome) ? abort.reason : null,
      dataJson,
      ...report(outcome),
    });
  } else if (command.type === 'run') {
    for (let i = 0; i < command.iterations; i++) {
      vu.iteration = i;
      const data = command.dataJson === null ? undefined : JSON.parse(command.dataJson);
      const started = performance.now();
      const outcome = await runPhase('default', script.default, data);
      const durationMs = performance.now() - started;
      const end = report(outcome);
      end.samples.push(
        { metric: 'iterations', value: 1, tags: {} },
        { metric: 'iteration_duration', value: durationMs, tags: {} },
      );
      const stop = aborted(outcome);
      port.postMessage({ type: 'iteration', vu: vu.id, iteration: i, durationMs, aborted: stop ? abort.reason : null, ...end });
      if (stop) break;
    }
    port.postMessage({ type: 'runDone', vu: vu.id });
  }
});
