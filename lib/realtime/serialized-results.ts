import type { ExecutionResult } from 'graphql';

/**
 * Serializes a subscription result once, however many operations it goes to.
 *
 * When subscribers share an execution (lib/realtime/subscribe-per-event.ts, the gateway's
 * federated-subscriptions.ts), they get the same result object; serializing it once per
 * operation was the largest user-space cost per delivery in profiles of both the messages
 * subgraph and the gateway. The event delivery (lib/realtime/event-delivery.ts) takes its JSON from here,
 * made once per result object and kept while the object lives.
 */
export class SerializedResults {
  readonly #json = new WeakMap<object, string>();

  /** The JSON of `result` (one without errors), made once per result object. */
  json(result: ExecutionResult): string {
    let json = this.#json.get(result);
    if (json === undefined) {
      json = JSON.stringify(result);
      this.#json.set(result, json);
    }
    return json;
  }
}
