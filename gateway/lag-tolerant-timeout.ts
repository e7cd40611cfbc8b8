/** A call that did not answer in time. */
export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Rejects with a TimeoutError when `promise` has not settled `ms` after the call, unless the
 * answer is already waiting to be read. A plain timer cannot tell a slow server from a busy
 * event loop: when the process is saturated, timers fire late, in the timers phase, before
 * the poll phase reads the reply that arrived meanwhile, so a healthy Redis looked slow
 * exactly under load (the benchmark logged "Command timed out" at 100 and 250 ms). Here a
 * timer that fires lets one poll phase run (setImmediate comes after it) before giving up.
 */
export function lagTolerantTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new TimeoutError(what, ms));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
