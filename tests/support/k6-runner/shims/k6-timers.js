/**
 * Shim of `k6/timers`, also installed as the globals k6 v1 has (vu-worker.js): setTimeout,
 * clearTimeout, setInterval, clearInterval. Every live timer holds the VU's event loop, so an
 * iteration lasts until its timers have fired or been cleared, as in k6. Ids are numbers, as
 * k6's are.
 */
import {
  clearInterval as nativeClearInterval,
  clearTimeout as nativeClearTimeout,
  setInterval as nativeSetInterval,
  setTimeout as nativeSetTimeout,
} from 'node:timers';
import { holdLoop, releaseLoop, runCallback } from '../vu-runtime.js';

/** @type {Map<number, { token: number, cancel: () => void }>} */
const live = new Map();
let nextId = 1;

/** @param {unknown} delay */
function milliseconds(delay) {
  const value = Number(delay);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** @param {number} id */
function forget(id) {
  const timer = live.get(id);
  if (timer === undefined) return;
  live.delete(id);
  timer.cancel();
  releaseLoop(timer.token);
}

/**
 * @param {Function} callback
 * @param {unknown} [delay]
 * @param {...unknown} args
 */
export function setTimeout(callback, delay, ...args) {
  if (typeof callback !== 'function') throw new TypeError('setTimeout: the callback is not a function');
  const id = nextId++;
  const handle = nativeSetTimeout(() => {
    const timer = live.get(id);
    if (timer === undefined) return;
    live.delete(id);
    runCallback(callback, args);
    releaseLoop(timer.token); // after the callback, which may have started more work
  }, milliseconds(delay));
  const cancel = () => nativeClearTimeout(handle);
  live.set(id, { token: holdLoop(() => forget(id)), cancel });
  return id;
}

/**
 * @param {Function} callback
 * @param {unknown} [delay]
 * @param {...unknown} args
 */
export function setInterval(callback, delay, ...args) {
  if (typeof callback !== 'function') throw new TypeError('setInterval: the callback is not a function');
  const id = nextId++;
  const handle = nativeSetInterval(() => {
    if (live.has(id)) runCallback(callback, args);
  }, milliseconds(delay));
  const cancel = () => nativeClearInterval(handle);
  live.set(id, { token: holdLoop(() => forget(id)), cancel });
  return id;
}

/** @param {unknown} id */
export function clearTimeout(id) {
  forget(Number(id));
}

/** @param {unknown} id */
export function clearInterval(id) {
  forget(Number(id));
}
