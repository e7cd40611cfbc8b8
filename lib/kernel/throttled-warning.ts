import type { Logger } from './logger.js';

/** How often a failure that repeats on every request is logged at most. */
const INTERVAL_MS = 10_000;

/**
 * Logs `message` at most every 10 s: when a shared service (Redis) is down, every request would
 * say so. The first failure is always logged.
 */
export function throttledWarning(logger: Logger, message: string): (error: unknown, operation: string) => void {
  let lastAt = -Infinity;
  return (error, operation) => {
    const now = Date.now();
    if (now - lastAt < INTERVAL_MS) return;
    lastAt = now;
    logger.warn({ err: error, operation }, message);
  };
}
