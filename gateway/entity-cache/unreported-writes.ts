import { TOUCHED_ENTITIES_EXTENSION } from '../../lib/kernel/touched-entities.js';

/**
 * The index key every entry carries: invalidating it drops the whole entity cache. For a write
 * the gateway cannot see the extent of: a subgraph's mutation answered without
 * `extensions.touchedEntities` (lib/kernel/touched-entities.ts; this project's subgraphs always
 * send it, empty or not, but a subgraph may not implement it), and any of its data, or another
 * subgraph's sharing its store, may have changed.
 */
export const EVERY_ENTRY = '*';

/** The operations (by context) in which such a mutation ran. */
const unreported = new WeakSet<object>();

/** Notes that `response`, a mutation's fetch, did not say what it touched. */
export function noteMutationAnswer(context: object, response: { readonly extensions?: Record<string, unknown> }): void {
  if (response.extensions?.[TOUCHED_ENTITIES_EXTENSION] === undefined) unreported.add(context);
}

/** Whether a mutation of the operation with `context` wrote without saying what. */
export function wroteUnreported(context: object): boolean {
  return unreported.has(context);
}
