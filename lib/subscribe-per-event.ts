import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, execute } from 'graphql';

/**
 * graphql-js's `subscribe`, with one difference: each event is executed with a context of its
 * own (`newContext()`), not the subscription's. Contexts hold per-request DataLoaders, and a
 * loader kept for the life of a subscription would answer every event from its first answers
 * (a conversation's `lastMessage` frozen at the first event). So the subscribe resolver runs
 * with `args.contextValue`, and every event runs like a fresh request of the same viewer.
 *
 * Returns the event stream, or an ExecutionResult with errors when the subscription could not
 * start (bad variables, or the subscribe resolver threw: UNAUTHENTICATED, FORBIDDEN, ...).
 */
export async function subscribeWithContextPerEvent(
  args: ExecutionArgs,
  newContext: () => unknown,
  /** Set when the operation selects no viewer-dependent field: see sharedResults. */
  shareKey: string | null = null,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source;
  const run = (event: unknown) => execute({ ...args, rootValue: event, contextValue: newContext() });
  return mapEvents(source[Symbol.asyncIterator](), (event) => {
    if (shareKey === null || typeof event !== 'object' || event === null) return run(event);
    let byOperation = sharedResults.get(event);
    if (byOperation === undefined) {
      byOperation = new Map();
      sharedResults.set(event, byOperation);
    }
    let result = byOperation.get(shareKey);
    if (result === undefined) {
      result = Promise.resolve(run(event));
      byOperation.set(shareKey, result);
    }
    return result;
  });
}

/**
 * Results of live events by event object, then by operation (query, operation name,
 * variables). A live event is one object handed to every local subscriber it concerns, so
 * subscribers of the same operation whose selection is viewer-independent share one execution
 * per event instead of one each. Weakly held: entries go with the event.
 */
const sharedResults = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

/**
 * Maps an async iterator. Hand-written rather than an async generator so that `return()`
 * reaches the source immediately, even while a `next()` is pending (see lib/async-queue.ts).
 */
function mapEvents<T, R>(source: AsyncIterator<T>, map: (value: T) => Promise<R> | R): AsyncIterableIterator<R> {
  const done = { value: undefined, done: true } as const;
  return {
    async next() {
      const result = await source.next();
      if (result.done === true) return done;
      return { value: await map(result.value), done: false };
    },
    async return() {
      await source.return?.();
      return done;
    },
    async throw(error: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}
