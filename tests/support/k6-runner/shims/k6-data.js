/**
 * Shim of `k6/data`: SharedArray. k6 calls the callback once, stores the items as JSON and hands
 * every VU read-only copies; here each VU calls it (the init context runs per VU) and gets a
 * frozen array of frozen JSON copies, which reads the same: `length`, indexing, iteration.
 */
import { requireStage } from '../vu-runtime.js';

/** @param {unknown} value */
function deepFreeze(value) {
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

export class SharedArray {
  /**
   * @param {string} name
   * @param {() => unknown[]} make
   */
  constructor(name, make) {
    requireStage(['init'], 'new SharedArray must be called in the init context');
    if (typeof name !== 'string' || name === '') throw new Error('empty name provided to SharedArray constructor');
    if (typeof make !== 'function') throw new Error('a function is expected as the second argument of SharedArray');
    const items = make();
    if (!Array.isArray(items)) throw new Error('only arrays can be made into SharedArray');
    // biome-ignore lint/correctness/noConstructorReturn: k6's SharedArray is array-like; a frozen array is the same to read
    return /** @type {SharedArray} */ (deepFreeze(JSON.parse(JSON.stringify(items))));
  }
}
