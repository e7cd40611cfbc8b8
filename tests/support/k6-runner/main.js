/**
 * k6-shim: runs a k6 script in Node for the test suite, where k6 itself cannot be installed.
 * It implements the part of the k6 API that the repository's scripts (k6/) use, with k6's
 * semantics (shims/), and a per-VU-iterations schedule: init in every VU, `setup()` once,
 * `--iterations` runs of the default function in each of `--vus` VUs at once, `teardown()`.
 * It is not k6: no stages or durations (the script's `options.scenarios` are not run), no
 * Sobek JS dialect, no real load figures. It reports checks, metrics and `options.thresholds`
 * evaluated on them (metrics-summary.js).
 *
 *   node tests/support/k6-runner/main.js --vus 2 --iterations 1 -e BASE_URL=… --report r.json k6/feed_loading.js
 *
 * Threads: this controller, one transport thread doing every VU's HTTP (transport-worker.js),
 * and one thread per VU (vu-worker.js; VU 0 runs setup and teardown). Exit code 0, or as k6:
 * 99 thresholds failed, 107 script error (init or setup), 108 aborted; 1 when the run itself
 * failed (a VU thread crashed, --max-duration passed).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MessageChannel, Worker } from 'node:worker_threads';
import { MetricStore } from './metrics-summary.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    vus: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '1' },
    env: { type: 'string', short: 'e', multiple: true, default: [] },
    report: { type: 'string' },
    'max-duration': { type: 'string', default: '120' },
    'ws-protocols-argument': { type: 'string', default: 'ignore' },
    'ws-subprotocol-header': { type: 'string', default: 'send' },
  },
});

/** @param {string} name @param {string} raw */
function positiveInteger(name, raw) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}=${raw}: expected a positive integer`);
  return value;
}

/** @param {string} name @param {string} raw @param {string[]} allowed */
function oneOf(name, raw, allowed) {
  if (!allowed.includes(raw)) throw new Error(`--${name}=${raw}: expected ${allowed.join(' or ')}`);
  return raw;
}

if (positionals.length !== 1) throw new Error('usage: main.js [--vus N] [--iterations N] [-e KEY=VALUE]… [--report FILE] SCRIPT');
const script = resolve(/** @type {string} */ (positionals[0]));
const vuCount = positiveInteger('vus', /** @type {string} */ (flags.vus));
const iterations = positiveInteger('iterations', /** @type {string} */ (flags.iterations));
const maxDurationMs = positiveInteger('max-duration', /** @type {string} */ (flags['max-duration'])) * 1000;
/** `__ENV`: the -e variables only, as `k6 run --include-system-env-vars=false -e …`. */
const env = Object.fromEntries(
  (flags.env ?? []).map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`-e ${pair}: expected KEY=VALUE`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  }),
);
const shim = {
  wsProtocolsArgument: oneOf('ws-protocols-argument', /** @type {string} */ (flags['ws-protocols-argument']), [
    'ignore',
    'apply',
  ]),
  wsSubprotocolHeader: oneOf('ws-subprotocol-header', /** @type {string} */ (flags['ws-subprotocol-header']), ['send', 'drop']),
};

const startedAt = performance.now();
const elapsedSeconds = () => Math.round(performance.now() - startedAt) / 1000;
const store = new MetricStore();
const report = {
  runner: 'k6-shim: the repository k6 scripts in Node (tests/support/k6-runner), not k6',
  script,
  vus: vuCount,
  iterationsPerVu: iterations,
  shim,
  loaded: false,
  /** @type {string[]} */
  initErrors: [],
  setup: { ran: false, ok: true, error: /** @type {string | null} */ (null) },
  teardown: { ran: false, ok: true, error: /** @type {string | null} */ (null) },
  iterations: {
    completed: 0,
    failed: 0,
    errors: /** @type {{ vu: number, iteration: number, error: string }[]} */ ([]),
  },
  /** @type {string | null} */
  aborted: null,
  /** @type {string[]} */
  runnerErrors: [],
  durationSeconds: 0,
  /** Seconds from the start to the end of each phase: where a slow run spent its time. */
  phaseEnds: /** @type {Record<string, number>} */ ({}),
  checks: { passes: 0, fails: 0, byName: /** @type {Record<string, { passes: number, fails: number }>} */ ({}) },
  /** @type {Record<string, object>} */
  metrics: {},
  /** @type {object[]} */
  thresholds: [],
  /** @type {object[]} */
  sockets: [],
  /** @type {{ vu: number, level: string, text: string }[]} */
  logs: [],
};

const transport = new Worker(new URL('./transport-worker.js', import.meta.url));

/** A VU thread and the messages it sends. */
class VuThread {
  /** @type {Map<string, (message: any) => void>} */
  #waiting = new Map();
  /** @type {Error | null} */
  #crashed = null;
  #stopped = false;

  /** @param {number} id */
  constructor(id) {
    this.id = id;
    const sync = new MessageChannel();
    const async = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    transport.postMessage({ syncPort: sync.port2, asyncPort: async.port2, flag }, [sync.port2, async.port2]);
    this.worker = new Worker(new URL('./vu-worker.js', import.meta.url), {
      workerData: { vuId: id, script, env, shim, http: { syncPort: sync.port1, asyncPort: async.port1, flag } },
      transferList: [sync.port1, async.port1],
    });
    this.worker.on('message', (message) => this.#receive(message));
    this.worker.on('error', (error) => this.#crash(error));
    this.worker.on('exit', (code) => this.#crash(new Error(`VU ${id}'s thread exited (code ${code})`)));
  }

  /** The next message of one of `types`. */
  next(/** @type {string[]} */ types) {
    if (this.#crashed !== null) return Promise.reject(this.#crashed);
    return new Promise((resolve, reject) => {
      const settle = (/** @type {any} */ message) => {
        for (const type of types) this.#waiting.delete(type);
        if (message instanceof Error) reject(message);
        else resolve(message);
      };
      for (const type of types) this.#waiting.set(type, settle);
    });
  }

  /** @param {any} message */
  #receive(message) {
    if (message.type === 'log') {
      report.logs.push({ vu: message.vu, level: message.level, text: message.text });
      process.stderr.write(`[k6-shim vu ${message.vu}] ${message.level}: ${message.text}\n`);
      return;
    }
    if (Array.isArray(message.samples)) store.add(message.samples);
    if (Array.isArray(message.sockets)) report.sockets.push(...message.sockets);
    if (message.type === 'iteration') {
      if (message.ok) report.iterations.completed += 1;
      else {
        report.iterations.failed += 1;
        report.iterations.errors.push({ vu: message.vu, iteration: message.iteration, error: message.error });
        process.stderr.write(`[k6-shim vu ${message.vu}] iteration ${message.iteration} failed: ${message.error}\n`);
      }
      if (message.aborted !== null) abortRun(message.aborted);
    }
    this.#waiting.get(message.type)?.(message);
  }

  /** @param {Error} error */
  #crash(error) {
    if (this.#crashed !== null || this.#stopped || stopping) return;
    this.#crashed = error;
    for (const settle of new Set(this.#waiting.values())) settle(error);
  }

  post(/** @type {object} */ command) {
    this.worker.postMessage(command);
  }

  /** Ends the thread, its sockets and timers with it. */
  stop() {
    this.#stopped = true;
    return this.worker.terminate();
  }
}

let stopping = false;
/** @type {(reason: string) => void} */
let onAbort = () => {};
const aborted = new Promise((resolve) => {
  onAbort = resolve;
});

/** @param {string} reason */
function abortRun(reason) {
  if (report.aborted !== null) return;
  report.aborted = reason;
  onAbort(reason);
}

/** Rejects after `ms`, naming `what`. */
function deadline(/** @type {number} */ ms, /** @type {string} */ what) {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms).unref();
  });
}

/** k6 duration (`10m`, `30s`) or number of ms → ms. */
function durationMs(/** @type {unknown} */ value, /** @type {number} */ fallback) {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(value ?? ''));
  if (match === null) return fallback;
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[/** @type {'s'} */ (match[2])];
}

async function run() {
  const overall = deadline(maxDurationMs, `the run (--max-duration ${maxDurationMs / 1000})`);
  const threads = Array.from({ length: vuCount + 1 }, (_, id) => new VuThread(id));
  const [setupVu, ...vus] = /** @type {[VuThread, ...VuThread[]]} */ (threads);
  try {
    const inits = await Promise.race([Promise.all(threads.map((t) => t.next(['ready', 'initFailed']))), overall]);
    for (const init of inits) if (init.type === 'initFailed') report.initErrors.push(`VU ${init.vu}: ${init.error}`);
    report.phaseEnds.init = elapsedSeconds();
    if (report.initErrors.length > 0) return 107;
    report.loaded = true;
    const [{ options, metrics, exports }] = inits;
    store.declare(metrics);
    if (!exports.default) {
      report.initErrors.push('the script has no default function');
      return 107;
    }

    report.setup.ran = exports.setup;
    setupVu.post({ type: 'setup', dataJson: null });
    const setup = await Promise.race([
      setupVu.next(['setupDone']),
      overall,
      deadline(durationMs(options.setupTimeout, 60_000), 'setup()'),
    ]);
    report.phaseEnds.setup = elapsedSeconds();
    if (setup.aborted !== null) abortRun(setup.aborted);
    if (!setup.ok) {
      report.setup = { ran: true, ok: false, error: setup.error };
      return report.aborted === null ? 107 : 108;
    }

    for (const vu of vus) vu.post({ type: 'run', dataJson: setup.dataJson, iterations });
    await Promise.race([Promise.all(vus.map((vu) => vu.next(['runDone']))), aborted, overall]);
    // k6 interrupts the other VUs of an aborted test, then still runs teardown().
    if (report.aborted !== null) await Promise.all(vus.map((vu) => vu.stop()));
    report.phaseEnds.iterations = elapsedSeconds();

    report.teardown.ran = exports.teardown;
    setupVu.post({ type: 'teardown', dataJson: setup.dataJson });
    const teardown = await Promise.race([
      setupVu.next(['teardownDone']),
      overall,
      deadline(durationMs(options.teardownTimeout, 60_000), 'teardown()'),
    ]);
    if (!teardown.ok) report.teardown = { ran: true, ok: false, error: teardown.error };
    report.phaseEnds.teardown = elapsedSeconds();

    report.durationSeconds = elapsedSeconds();
    report.metrics = store.summary(report.durationSeconds);
    report.thresholds = store.evaluate(options.thresholds ?? {}, report.durationSeconds);
    if (report.aborted !== null) return 108;
    return report.thresholds.every((t) => /** @type {{ ok: boolean }} */ (t).ok) ? 0 : 99;
  } catch (error) {
    report.runnerErrors.push(error instanceof Error ? error.message : String(error));
    return 1;
  } finally {
    stopping = true;
    await Promise.all([...threads.map((t) => t.worker.terminate()), transport.terminate()]);
  }
}

const exitCode = await run();
report.durationSeconds = elapsedSeconds();
if (Object.keys(report.metrics).length === 0) report.metrics = store.summary(report.durationSeconds);
for (const [name, outcome] of Object.entries(/** @type {any} */ (report.metrics).checks?.byTag?.check ?? {})) {
  report.checks.byName[name] = { passes: outcome.passes, fails: outcome.fails };
  report.checks.passes += outcome.passes;
  report.checks.fails += outcome.fails;
}
const json = `${JSON.stringify(report, null, 2)}\n`;
if (flags.report === undefined) process.stdout.write(json);
else writeFileSync(flags.report, json);
process.exitCode = exitCode;
