import { BadUserInputError } from './errors.js';

/** Connection arguments after validation: how many rows to return and the decoded cursor. */
export interface PageArgs<C> {
  readonly first: number;
  readonly after: C | null;
}

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface Connection<T> {
  readonly edges: Edge<T>[];
  readonly nodes: T[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Cursors are opaque to clients: base64url of a JSON array of the keyset values. */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/**
 * Validates `first` and decodes `after` with `parse`, which receives the decoded JSON array
 * and returns the typed keyset or null when the shape is wrong. Bad input is BAD_USER_INPUT.
 */
export function readPageArgs<C>(
  args: { first?: number | null; after?: string | null },
  parse: (values: unknown[]) => C | null,
): PageArgs<C> {
  const first = readFirst(args.first);
  if (args.after === null || args.after === undefined) return { first, after: null };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(args.after, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const cursor = Array.isArray(decoded) ? parse(decoded) : null;
  if (cursor === null) throw new BadUserInputError('"after" is not a valid cursor.', 'after');
  return { first, after: cursor };
}

/** `first` of a page: 0 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent; anything else is BAD_USER_INPUT. */
export function readFirst(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`"first" must be between 0 and ${MAX_PAGE_SIZE}.`, 'first');
  }
  return size;
}

/**
 * Builds a connection from up to `first + 1` rows fetched in page order: the extra row only
 * tells whether there is a next page.
 */
export function toConnection<R, T>(
  rows: readonly R[],
  first: number,
  cursorOf: (row: R) => readonly (string | number)[],
  toNode: (row: R) => T,
): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((row) => ({ cursor: encodeCursor(cursorOf(row)), node: toNode(row) }));
  return {
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/** Parses a keyset of (ISO timestamp, id), the most common cursor shape. */
export function parseTimeIdCursor(values: unknown[]): { at: Date; id: string } | null {
  const [at, id] = values;
  if (values.length !== 2 || typeof at !== 'string' || typeof id !== 'string') return null;
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? null : { at: date, id };
}

/**
 * A connection whose nodes are the rows themselves, each primed into `loader` (by its id) so the
 * fields resolved next read it without another query.
 */
export function primedConnection<R extends { readonly id: string }>(
  rows: readonly R[],
  first: number,
  cursorOf: (row: R) => readonly (string | number)[],
  loader: { prime(key: string, value: NoInfer<R>): unknown },
): Connection<R> {
  return toConnection(rows, first, cursorOf, (row) => {
    loader.prime(row.id, row);
    return row;
  });
}
