/**
 * The module resolve hook (node:module `register`) of every VU thread: the k6 built-ins the
 * scripts import resolve to this runner's shims, and a k6 script importing anything k6 could not
 * (a Node built-in, an npm package, a k6 module with no shim here) fails at load with a message
 * saying so. The runner's own modules resolve as usual.
 */
const SHIMS = {
  k6: 'k6.js',
  'k6/data': 'k6-data.js',
  'k6/execution': 'k6-execution.js',
  'k6/http': 'k6-http.js',
  'k6/metrics': 'k6-metrics.js',
  'k6/timers': 'k6-timers.js',
  'k6/websockets': 'k6-websockets.js',
};
const RUNNER_ROOT = new URL('./', import.meta.url).href;

/** Whether `url` is a module of the k6 script (not of this runner or of a package it uses). */
function inScript(/** @type {string | undefined} */ url) {
  return url !== undefined && !url.startsWith(RUNNER_ROOT) && !url.includes('/node_modules/');
}

/**
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: object) => Promise<{ url: string }>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  if (Object.hasOwn(SHIMS, specifier)) {
    return { url: new URL(`./shims/${SHIMS[/** @type {'k6'} */ (specifier)]}`, import.meta.url).href, shortCircuit: true };
  }
  if (inScript(context.parentURL)) {
    if (specifier === 'k6' || specifier.startsWith('k6/')) {
      throw new Error(`k6 shim: ${specifier} (imported by ${context.parentURL}) is not implemented by this test runner`);
    }
    const relative = specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/');
    if (!relative && !specifier.startsWith('file:')) {
      throw new Error(
        `k6 has no module "${specifier}" (imported by ${context.parentURL}): k6 scripts import k6 built-ins and files`,
      );
    }
  }
  return nextResolve(specifier, context);
}
