/**
 * An object that reads every property from `current()` at the moment it is read: a fixture's
 * handle, made at collection time and filled by a beforeAll. Reading it before `current()` has
 * a value throws, naming `what` and the property, instead of failing later on `undefined`.
 * A fixture is no promise: `then` is never read through, so awaiting the handle gives it back.
 */
export function lateBound<T extends object>(what: string, current: () => T | undefined): T {
  const value = (key: PropertyKey): T => {
    const filled = current();
    if (filled === undefined) {
      throw new Error(`${what} was read (${String(key)}) before its beforeAll ran: read it in a test or a hook`);
    }
    return filled;
  };
  return new Proxy({} as T, {
    get: (_, key) => (key === 'then' ? undefined : Reflect.get(value(key), key)),
    has: (_, key) => Reflect.has(value(key), key),
    ownKeys: () => Reflect.ownKeys(value('its keys')),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(value(key), key);
      // A proxy may not report a property its own (empty) target lacks as non-configurable.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    set: (_, key) => {
      throw new Error(`${what} is read-only (${String(key)})`);
    },
  });
}
