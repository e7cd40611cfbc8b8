/**
 * What every DataLoader batch does with the rows of one query: answer each key of the batch, in
 * the batch's order.
 */

/** For each key, the rows whose `keyOf` is that key, in row order; an empty list for a key with none. */
export function groupRows<R>(keys: readonly string[], rows: readonly R[], keyOf: (row: R) => string): R[][] {
  const groups = new Map<string, R[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  }
  return keys.map((key) => groups.get(key) ?? []);
}

/** For each key, the row whose `keyOf` is that key, or what `missing` gives for it. */
export function matchRows<R, M>(
  keys: readonly string[],
  rows: readonly R[],
  keyOf: (row: R) => string,
  missing: (key: string) => M,
): (R | M)[] {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => byKey.get(key) ?? missing(key));
}
