import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

/**
 * What an entry's selection is known by: the supergraph it was planned on (a reload never
 * reads the previous one's entries), the subgraph, the fetch as sent without its
 * viewer-dependent fields, and the values of the variables it uses (`representations` aside).
 */
export function selectionHash(params: {
  supergraph: string;
  subgraph: string;
  query: string;
  variables: Readonly<Record<string, unknown>>;
}): string {
  return digest(`${params.supergraph}\u0000${params.subgraph}\u0000${params.query}\u0000${stableStringify(params.variables)}`);
}

/**
 * The entry of one entity: `e:<subgraph>:<type>:<representation hash>:<selection hash>`. The
 * representation (key and @requires fields, keys sorted) names the entity; the type and the
 * subgraph stay readable for whoever looks at Redis.
 */
export function entityEntryKey(subgraph: string, representation: Readonly<Record<string, unknown>>, selection: string): string {
  const typename = typeof representation.__typename === 'string' ? representation.__typename : '?';
  return `e:${subgraph}:${typename}:${digest(stableStringify(representation))}:${selection}`;
}

/** The entry of a root fetch: `q:<subgraph>:<selection hash>` (its variables are in the hash). */
export function rootEntryKey(subgraph: string, selection: string): string {
  return `q:${subgraph}:${selection}`;
}

/** Only the variables `names` of `variables`, for the key and the request alike. */
export function pickVariables(
  variables: Readonly<Record<string, unknown>> | undefined,
  names: readonly string[],
): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names) if (variables !== undefined && name in variables) picked[name] = variables[name];
  return picked;
}
