/**
 * Shim of the `k6` module: `check` and `sleep`, the two the repository's scripts import.
 *
 * `check(value, checks, tags)` runs every check on `value`, records one sample of the Rate
 * `checks` per check (tag `check:<name>` and `tags`), and returns whether all passed. A check
 * may be a function of `value` or a value of its own. An exception in a check propagates, as
 * in k6. `sleep(seconds)` blocks the VU, its event loop included, as in k6.
 */
import { addSample, requireStage, VU_STAGES } from '../vu-runtime.js';

/**
 * @param {unknown} value
 * @param {Record<string, unknown>} checks
 * @param {Record<string, unknown>} [tags]
 */
export function check(value, checks, tags = {}) {
  requireStage(VU_STAGES, 'Using check() in the init context is not supported');
  let all = true;
  for (const [name, test] of Object.entries(checks)) {
    const passed = Boolean(typeof test === 'function' ? test(value) : test);
    addSample('checks', passed ? 1 : 0, { ...tags, check: name });
    all &&= passed;
  }
  return all;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** @param {number} seconds */
export function sleep(seconds) {
  const ms = Number(seconds) * 1000;
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}
