import type { ExecutionResult, FormattedExecutionResult } from 'graphql';

/** How a stand-in's payload starts: `{"serializedResult":<token>}` (results' own keys are data, errors, extensions). */
const STAND_IN_PREFIX = '{"serializedResult":';

/**
 * Serializes a subscription result once, however many operations it goes to.
 *
 * When subscribers share an execution (lib/subscribe-per-event.ts, the gateway's
 * federated-subscriptions.ts), they get the same result object, and graphql-ws's server would
 * still JSON.stringify it once per operation: the largest user-space cost per delivery in
 * profiles of both the messages subgraph and the gateway. So graphql-ws's `onNext` hook hands
 * it a small stand-in, `{"serializedResult":<token>}`, and the socket's send
 * (lib/coalesced-sends.ts) replaces that payload with the result's JSON, made once per result
 * object and kept while the object lives.
 *
 * Tokens are per socket and taken once, so a stand-in can only ever become the payload it was
 * made for, on the socket it was made for; a payload that merely looks like one (no token
 * pending on that socket) is sent as it is.
 */
export class SerializedResults {
  readonly #json = new WeakMap<object, string>();
  /** Per socket: stand-in token → payload JSON, from onNext until the frame is sent. */
  readonly #pending = new WeakMap<object, Map<number, string>>();
  #nextToken = 1;

  /**
   * For graphql-ws's `onNext`: the stand-in to send instead of `result` (one without errors).
   * Typed as the formatted result onNext returns; it only ever travels to this socket's send.
   */
  standIn(socket: object, result: ExecutionResult): FormattedExecutionResult {
    const json = this.json(result);
    let pending = this.#pending.get(socket);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(socket, pending);
    }
    const token = this.#nextToken++;
    pending.set(token, json);
    return { serializedResult: token } as FormattedExecutionResult;
  }

  /** The JSON of `result` (one without errors), made once per result object. */
  json(result: ExecutionResult): string {
    let json = this.#json.get(result);
    if (json === undefined) {
      json = JSON.stringify(result);
      this.#json.set(result, json);
    }
    return json;
  }

  /** The JSON a stand-in payload stands for, taken (it is sent once); undefined for any other payload. */
  take(socket: object, payload: string): string | undefined {
    if (!payload.startsWith(STAND_IN_PREFIX)) return undefined;
    const pending = this.#pending.get(socket);
    const token = Number(payload.slice(STAND_IN_PREFIX.length, -1));
    const json = pending?.get(token);
    if (json !== undefined) pending?.delete(token);
    return json;
  }
}
