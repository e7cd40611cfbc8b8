import type { ExecutionResult } from 'graphql';

/**
 * An event's execution result that several subscriptions wait for: readable synchronously
 * once it is there, and telling its waiters by plain callbacks rather than a promise reaction
 * each. With 50 subscribers on one event, the 50 deliveries then cost no microtask of their
 * own (direct-event-stream.ts); `promise` serves the consumers that pull.
 */
export class PendingResult {
  readonly promise: Promise<ExecutionResult>;
  #result: ExecutionResult | undefined;
  #waiters: Array<() => void> = [];

  /**
   * `execution` must not reject: a failure is a result with errors. A result already there
   * (graphql-js executes synchronously when no resolver is asynchronous) is ready at once.
   */
  constructor(execution: ExecutionResult | Promise<ExecutionResult>) {
    if (!(execution instanceof Promise)) {
      this.#result = execution;
      this.promise = Promise.resolve(execution);
      return;
    }
    this.promise = execution.then((result) => {
      this.#result = result;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) waiter();
      return result;
    });
  }

  /** The result, once the execution has finished; undefined before. */
  get result(): ExecutionResult | undefined {
    return this.#result;
  }

  /** Calls `waiter` once the result is there (at once if it already is). */
  whenReady(waiter: () => void): void {
    if (this.#result !== undefined) waiter();
    else this.#waiters.push(waiter);
  }
}
