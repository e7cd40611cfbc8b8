/** How each event of a stream becomes a result, and what a failing stream ends with. */
export interface EventMapping<T, R> {
  map(event: T): Promise<R> | R;
  /**
   * The source's `next()` failed: the last result to yield, or undefined to end quietly. Without
   * it the failure is the consumer's.
   */
  failed?(error: unknown): R | undefined;
}

/**
 * Maps an async iterator of events to results, one at a time and in order. Hand-written rather
 * than an async generator so that `return()` reaches the source at once, even while a `next()`
 * is pending: an unsubscribed client stops what feeds it at once (a generator would wait for the
 * next event before noticing).
 */
export function mapEvents<T, R>(
  source: AsyncIterator<T>,
  mapping: EventMapping<T, R> | EventMapping<T, R>['map'],
): AsyncIterableIterator<R> {
  const { map, failed } = typeof mapping === 'function' ? { map: mapping, failed: undefined } : mapping;
  const finished = { value: undefined, done: true } as const;
  let done = false;
  const finish = async (): Promise<IteratorResult<R>> => {
    if (!done) {
      done = true;
      await source.return?.();
    }
    return finished;
  };
  return {
    async next() {
      if (done) return finished;
      let step: IteratorResult<T>;
      try {
        step = await source.next();
      } catch (error) {
        if (failed === undefined) throw error;
        done = true;
        const last = failed(error);
        return last === undefined ? finished : { value: last, done: false };
      }
      if (step.done === true) {
        done = true;
        return finished;
      }
      return { value: await map(step.value), done: false };
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
