import type { Logger } from '../kernel/logger.js';

let draining = false;

/**
 * True once this process got a shutdown signal: every server's /readyz answers 503 from then
 * on (lib/service/yoga-options.ts), so a load balancer stops sending it new requests while it drains.
 */
export function isDraining(): boolean {
  return draining;
}

/**
 * On SIGINT/SIGTERM: /readyz turns 503 at once, requests keep being served for `drainMs` (the
 * time a load balancer takes to notice; SHUTDOWN_DRAIN_MS), then `stop` runs once (sockets
 * closed with 1012, in-flight requests finished) and the process exits. A second signal exits
 * at once, so a stuck shutdown never traps a developer's Ctrl-C.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>, options: { drainMs?: number } = {}): void {
  let stopping = false;
  const drainMs = options.drainMs ?? 0;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    draining = true;
    logger.info({ signal, drainMs }, drainMs > 0 ? 'draining, then shutting down' : 'shutting down');
    new Promise((resolve) => setTimeout(resolve, drainMs)).then(stop).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

/** Prints a start-up failure (a bad config, an unreachable database) plainly and exits 1. */
export function exitOnStartupError(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  if (error instanceof Error && error.cause instanceof Error) console.error(`  cause: ${error.cause.message}`);
  process.exit(1);
}
