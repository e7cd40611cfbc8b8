/**
 * `target` behind a proxy whose unknown properties throw: a script that starts using a part of
 * a k6 module this runner does not implement fails with a message that says so, instead of
 * reading `undefined` and failing somewhere else.
 * @template {object} T
 * @param {string} what the module's name in the message, e.g. `exec.vu`
 * @param {T} target
 * @returns {T}
 */
export function strict(what, target) {
  return new Proxy(target, {
    get(object, key) {
      if (typeof key === 'symbol' || key in object) return Reflect.get(object, key);
      throw new Error(`k6 shim: ${what}.${key} is not implemented by this test runner`);
    },
  });
}
