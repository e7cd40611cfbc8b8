import type { ExecutionResult } from 'graphql';
import type { EventDelivery } from './event-delivery.js';
import type { PendingResult } from './pending-result.js';

/**
 * A subscription whose events are written straight to the client's socket, in order, as each
 * event's execution finishes, rather than pulled one by one through graphql-ws's operation
 * loop. That loop costs a chain of promises per event per subscriber (graphql-ws's emit, Yoga's
 * result mapping, the iterator): with one shared execution per event, most of the gateway's
 * CPU per delivery. Here a delivery is a callback and a write.
 *
 * Used by the gateway (federated-subscriptions.ts, events pushed by its upstream connection)
 * and by every subgraph (subscribe-per-event.ts, events pulled from the resolver's stream), each
 * writing to the delivery the socket server put on the operation's arguments (event-delivery.ts).
 *
 * What graphql-ws iterates is only the end: `next()` settles when the upstream has ended and
 * every event before the end has been written. An upstream refusal is the one result it yields
 * (so it goes through Yoga's error masking like any result), an upstream failure the one error
 * it throws (graphql-ws sends it as an `error` message); then it is done. `return()` (the client
 * completed, or the socket closed) stops writing at once and stops the upstream.
 */
export class DirectEventStream implements AsyncIterableIterator<ExecutionResult> {
  readonly #delivery: Pick<EventDelivery, 'write'>;
  /** Events received and not yet written, in arrival order. */
  #queue: PendingResult[] = [];
  /** The head of the queue this stream is registered to wait for. */
  #waitingFor: PendingResult | undefined;
  #ended = false;
  /** What ends the stream after the last event: a result to yield (an upstream refusal) or an error to throw, then done. */
  #final: { result?: ExecutionResult; error?: unknown } | undefined;
  #state: 'live' | 'finished' | 'done' = 'live';
  #pendingNext: ((step: IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>>) => void) | undefined;
  #onReturn: () => void = () => undefined;
  readonly #drain = () => this.#writeReady();

  constructor(delivery: Pick<EventDelivery, 'write'>) {
    this.#delivery = delivery;
  }

  /** What stops the upstream when the consumer returns; set once the upstream is open. */
  set onReturn(stop: () => void) {
    this.#onReturn = stop;
  }

  /** The next event's result (pending or not); written after every earlier one. */
  push(event: PendingResult): void {
    if (this.#ended || this.#state === 'done') return;
    this.#queue.push(event);
    if (this.#queue.length === 1) this.#writeReady();
  }

  /** The upstream ended: after the events already pushed, yield `final` (if any) and finish. */
  end(final?: ExecutionResult): void {
    this.#finish(final === undefined ? undefined : { result: final });
  }

  /** The upstream failed: after the events already pushed, `next()` throws `error` (graphql-ws sends it as `error`). */
  fail(error: unknown): void {
    this.#finish({ error });
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.#state === 'finished') return this.#finalStep();
    if (this.#state === 'done') return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.#pendingNext = resolve;
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    if (this.#state !== 'done') {
      this.#state = 'done';
      this.#queue = [];
      this.#onReturn();
      this.#settleNext({ done: true, value: undefined });
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  /** Writes the queue's ready head events, then waits for the first that is not ready. */
  #writeReady(): void {
    while (this.#queue.length > 0 && this.#state !== 'done') {
      const head = this.#queue[0] as PendingResult;
      const result = head.result;
      if (result === undefined) {
        if (this.#waitingFor !== head) {
          this.#waitingFor = head;
          head.whenReady(this.#drain);
        }
        return;
      }
      this.#queue.shift();
      this.#delivery.write(result);
    }
    if (this.#ended && this.#state === 'live') {
      this.#state = 'finished';
      if (this.#pendingNext !== undefined) this.#settleNext(this.#finalStep());
    }
  }

  /** The step after the last event: the final result or error if there is one, else done. */
  #finalStep(): Promise<IteratorResult<ExecutionResult>> {
    const final = this.#final;
    this.#final = undefined;
    this.#state = 'done';
    if (final?.error !== undefined) return Promise.reject(final.error);
    if (final?.result !== undefined) return Promise.resolve({ done: false, value: final.result });
    return Promise.resolve({ done: true, value: undefined });
  }

  #settleNext(step: IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>>): void {
    const resolve = this.#pendingNext;
    this.#pendingNext = undefined;
    resolve?.(step);
  }

  #finish(final: { result?: ExecutionResult; error?: unknown } | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#final = final;
    this.#writeReady();
  }
}
