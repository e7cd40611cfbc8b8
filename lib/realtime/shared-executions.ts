import type { ExecutionResult } from 'graphql';
import { PendingResult } from './pending-result.js';

/** How long a result found by an event's JSON is kept for the other subscribers of that event. */
const BY_JSON_MS = 2000;

/**
 * Executions of live events shared by the subscribers of one operation whose selection is
 * viewer-independent: each event is executed once per operation (query, operation name,
 * variables), not once per subscriber. A 50-member group costs one execution per message.
 *
 * An event handed to every local subscriber as one object is found by identity (weakly held:
 * entries go with the event). An event that reaches subscribers as equal but separate objects
 * (the gateway's upstream frames) is also found by its JSON, for two seconds.
 */
export class SharedExecutions {
  readonly #byEvent = new WeakMap<object, Map<string, PendingResult>>();
  readonly #byJson = new Map<string, Map<string, PendingResult>>();

  /**
   * The result of `event` for the operation `operationKey`: `run` once, the same pending result
   * for every subscriber. `jsonOf` names the event by content where identity is not enough.
   */
  resultOf(
    event: object,
    operationKey: string,
    run: () => Promise<ExecutionResult> | ExecutionResult,
    jsonOf?: () => string,
  ): PendingResult {
    const byOperation = this.#resultsOf(event, jsonOf);
    let result = byOperation.get(operationKey);
    if (result === undefined) {
      result = new PendingResult(run());
      byOperation.set(operationKey, result);
    }
    return result;
  }

  #resultsOf(event: object, jsonOf: (() => string) | undefined): Map<string, PendingResult> {
    let byOperation = this.#byEvent.get(event);
    if (byOperation !== undefined) return byOperation;
    if (jsonOf !== undefined) {
      const json = jsonOf();
      byOperation = this.#byJson.get(json);
      if (byOperation === undefined) {
        const created = new Map<string, PendingResult>();
        this.#byJson.set(json, created);
        setTimeout(() => this.#byJson.delete(json), BY_JSON_MS).unref();
        byOperation = created;
      }
    } else byOperation = new Map();
    this.#byEvent.set(event, byOperation);
    return byOperation;
  }
}
