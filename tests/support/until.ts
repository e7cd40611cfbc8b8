/**
 * Waits until `condition()` holds, checking it every 5 ms: for a state of this process that no
 * event announces (a callback's array, a counter). Fails the test after `timeoutMs`.
 */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Waits until `check()` answers true, for a state only a request can see (an HTTP query, a
 * Redis command): asks again as soon as the last answer came back, so
 * the answers pace it, not a clock. A rejected check counts as false. Fails after `timeoutMs`.
 */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    // A check that fails without I/O (a client not yet connected) must let the connecting run.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
