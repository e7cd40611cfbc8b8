/**
 * The bounded buffer of one subscription's events: event listeners `push`; the consumer either
 * takes them pushed on (`forward`, the socket path) or pulls them with `next()` (the async
 * iterator graphql-js requires a subscribe resolver to return, and server-sent events). Two
 * properties plain async generators lack:
 *
 * - `return()` takes effect at once, even while the consumer waits for the next event, so
 *   unsubscribing never waits for an event that may never come (an async generator parked in
 *   `await` only sees `return()` after its next event).
 * - The buffer is bounded: a consumer that falls more than `limit` events behind is ended
 *   with `overflowError()` instead of letting memory grow without bound.
 *
 * `onEnd` runs exactly once, as soon as the queue ends for any reason (consumer `return()`,
 * `end()`, overflow): the place to remove listeners and clear timers.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #limit: number;
  readonly #overflowError: () => Error;
  readonly #onEnd: (() => void) | undefined;
  #buffer: T[] = [];
  /** Pending `next()` calls: only while the buffer is empty. */
  #waiting: Array<{ resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }> = [];
  #ended = false;
  /** Thrown once to the consumer after the buffer is drained; then the queue is done. */
  #error: Error | undefined;
  /** The consumer values are pushed on to, once `forward` was called. */
  #forward:
    | {
        readonly listener: PushListener<T>;
        readonly whenWritable: () => Promise<void> | undefined;
        readonly onOverflow: ((dropped: number) => void) | undefined;
      }
    | undefined;
  /** Set while forwarding waits for the consumer to be writable again. */
  #paused = false;
  #forwardEnded = false;

  constructor(options: { limit: number; overflowError: () => Error; onEnd?: () => void }) {
    this.#limit = options.limit;
    this.#overflowError = options.overflowError;
    this.#onEnd = options.onEnd;
  }

  /** Whether the queue takes no more values. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Hands a value to the waiting consumer or buffers it; ignored once the queue has ended. */
  push(value: T): void {
    if (this.#ended) return;
    if (this.#forward !== undefined && !this.#paused && this.#buffer.length === 0) {
      if (this.#forward.whenWritable() === undefined) {
        this.#forward.listener.push(value);
        return;
      }
    }
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value, done: false });
      return;
    }
    this.#buffer.push(value);
    if (this.#buffer.length > this.#limit) {
      // The consumer is too slow: what is buffered would only arrive later and later.
      this.#forward?.onOverflow?.(this.#buffer.length);
      this.#buffer = [];
      this.end(this.#overflowError());
      return;
    }
    if (this.#forward !== undefined && !this.#paused) this.#drainForward();
  }

  /**
   * Pushes every value, buffered or to come, on to `listener`, then the end (with the error
   * that ended the queue, if any), instead of a consumer pulling them. A value goes on at once
   * while `whenWritable()` is undefined; while it is a promise the values stay here (within the
   * limit, which still ends the queue on overflow, telling `onOverflow` how many values it
   * dropped) until it settles. Called once, before any `next()`.
   */
  forward(
    listener: PushListener<T>,
    whenWritable: () => Promise<void> | undefined,
    onOverflow?: (dropped: number) => void,
  ): void {
    this.#forward = { listener, whenWritable, onOverflow };
    this.#drainForward();
  }

  /** Ends the queue: buffered values are still delivered, then `error` is thrown (or done). */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#onEnd?.();
    if (this.#forward !== undefined) {
      if (this.#buffer.length === 0) this.#endForward();
      return;
    }
    // Consumers only wait when the buffer is empty: they get the end now (the error only once).
    for (const waiter of this.#waiting.splice(0)) {
      const thrown = this.#error;
      this.#error = undefined;
      if (thrown === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(thrown);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift() as T, done: false });
    if (this.#ended) {
      if (this.#error !== undefined) {
        const error = this.#error;
        this.#error = undefined;
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
    });
  }

  /** The consumer is done: drops what is buffered and ends at once. */
  return(): Promise<IteratorResult<T>> {
    this.#buffer = [];
    this.end();
    this.#error = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#buffer = [];
    this.end();
    this.#error = undefined;
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** Pushes what is buffered on while the consumer is writable; waits for it otherwise. */
  #drainForward(): void {
    const forward = this.#forward;
    if (forward === undefined) return;
    while (this.#buffer.length > 0) {
      const writable = forward.whenWritable();
      if (writable !== undefined) {
        this.#paused = true;
        void writable.then(() => {
          this.#paused = false;
          this.#drainForward();
        });
        return;
      }
      forward.listener.push(this.#buffer.shift() as T);
    }
    if (this.#ended) this.#endForward();
  }

  #endForward(): void {
    if (this.#forwardEnded || this.#forward === undefined) return;
    this.#forwardEnded = true;
    const error = this.#error;
    this.#error = undefined;
    this.#forward.listener.end(error);
  }
}

/** Where a pushed stream's events go: one by one, then the end (with an error, or without). */
export interface PushListener<T> {
  push(event: T): void;
  end(error?: Error): void;
}

/**
 * A pushed stream as an async iterator, for a consumer that pulls (a subscription over SSE, a
 * test): `start` begins pushing into the queue and returns what stops it, which runs once the
 * queue ends for any reason.
 */
export function pulled<T>(
  start: (listener: PushListener<T>) => () => void,
  options: { limit: number; overflowError: () => Error },
): AsyncIterableIterator<T> {
  let stop: (() => void) | undefined;
  let ended = false;
  const queue = new AsyncQueue<T>({
    ...options,
    onEnd: () => {
      ended = true;
      stop?.();
    },
  });
  stop = start(queue);
  // Ended while starting (the producer refused at once): stop what started.
  if (ended) stop();
  return queue;
}
