import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, execute } from 'graphql';
import { AsyncQueue, type PushListener } from './async-queue.js';
import { DirectEventStream } from './direct-event-stream.js';
import { deliveryOf, type EventDelivery } from './event-delivery.js';
import { mapEvents } from './map-events.js';
import { PendingResult } from './pending-result.js';
import type { SharedExecutions } from './shared-executions.js';

/**
 * graphql-js's `subscribe`, with one difference: each event is executed with a context of its
 * own (`newContext()`), not the subscription's. Contexts hold per-request DataLoaders, and a
 * loader kept for the life of a subscription would answer every event from its first answers
 * (a conversation's `lastMessage` frozen at the first event). So the subscribe resolver runs
 * with `args.contextValue`, and every event runs like a fresh request of the same viewer.
 *
 * Over a socket (a delivery on `args`, event-delivery.ts) the results are written straight to
 * the client (pumpEvents); otherwise they are pulled.
 *
 * Returns the event stream, or an ExecutionResult with errors when the subscription could not
 * start (bad variables, or the subscribe resolver threw: UNAUTHENTICATED, FORBIDDEN, ...).
 */
export async function subscribeWithContextPerEvent(
  args: ExecutionArgs,
  newContext: () => unknown,
  options: {
    /**
     * Set when the operation selects no viewer-dependent field: its subscribers share one
     * execution per event (a live event is one object handed to every local subscriber).
     */
    readonly shared?: { readonly executions: SharedExecutions; readonly operationKey: string } | undefined;
  } = {},
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source;
  const { shared } = options;
  const run = (event: unknown) => execute({ ...args, rootValue: event, contextValue: newContext() });
  const resultOf = (event: unknown): PendingResult =>
    shared === undefined || typeof event !== 'object' || event === null
      ? new PendingResult(run(event))
      : shared.executions.resultOf(event, shared.operationKey, () => run(event));
  const events = source[Symbol.asyncIterator]();
  const delivery = deliveryOf(args);
  if (delivery !== undefined) return pumpEvents(events, resultOf, delivery);
  return mapEvents(events, (event) => resultOf(event).promise);
}

/**
 * Writes the results of the source's events straight to the client, in order
 * (direct-event-stream.ts). A source that is an AsyncQueue (every stream of this platform's
 * subscribe resolvers) pushes its events on as they come (`forward`): no promise per event.
 * Any other async iterator is pulled, one event at a time. Either way no event is taken while
 * the client's socket has more than a megabyte waiting, as graphql-ws would wait, so a slow
 * reader's events stay in its source's bounded queue (message-stream.ts), which ends the
 * subscription if it overflows. An error of the source (that overflow, or a catch-up too long)
 * is thrown by the stream after the events before it.
 */
function pumpEvents(
  source: AsyncIterator<unknown>,
  resultOf: (event: unknown) => PendingResult,
  delivery: EventDelivery,
): AsyncIterableIterator<ExecutionResult> {
  const stream = new DirectEventStream(delivery);
  stream.onReturn = () => {
    Promise.resolve(source.return?.()).catch(() => undefined);
  };
  const listener: PushListener<unknown> = {
    push(event) {
      try {
        stream.push(resultOf(event));
      } catch (error) {
        // Never into the source's own loop (a feed handing one event to every subscription).
        stream.fail(error);
        Promise.resolve(source.return?.()).catch(() => undefined);
      }
    },
    end: (error) => (error === undefined ? stream.end() : stream.fail(error)),
  };
  if (source instanceof AsyncQueue)
    source.forward(
      listener,
      () => delivery.whenWritable(),
      (dropped) => delivery.overflowed(dropped),
    );
  else void pullInto(source, listener, delivery);
  return stream;
}

/** Pulls `source` into `listener`, taking the next event only once the client can take it. */
async function pullInto(source: AsyncIterator<unknown>, listener: PushListener<unknown>, delivery: EventDelivery): Promise<void> {
  try {
    for (;;) {
      const writable = delivery.whenWritable();
      if (writable !== undefined) await writable;
      const step = await source.next();
      if (step.done === true) {
        listener.end();
        return;
      }
      listener.push(step.value);
    }
  } catch (error) {
    listener.end(error as Error);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}
