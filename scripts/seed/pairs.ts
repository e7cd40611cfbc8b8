import type { Random, ZipfSampler } from './random.js';

/** Distinct (row, col) index pairs, sorted by row then col: follow edges, likes. */
export interface Pairs {
  readonly rows: Uint32Array;
  readonly cols: Uint32Array;
}

export interface PairOptions {
  count: number;
  /** Who is drawn on each side, and how skewed: e.g. followers mildly, followees strongly. */
  rows: ZipfSampler;
  cols: ZipfSampler;
  /** False when rows and cols index the same items and a pair of one item with itself is invalid (self-follow). */
  allowSameIndex: boolean;
}

/** How many distinct valid pairs exist. */
export function pairCapacity(rows: number, cols: number, allowSameIndex: boolean): number {
  return rows * cols - (allowSameIndex ? 0 : Math.min(rows, cols));
}

/**
 * Draws `count` distinct pairs, skewed by the samplers. Duplicates are removed by sorting
 * numeric keys (row * cols + col) rather than a Set, which caps at 2^24 entries and is slow.
 * Sparse requests redraw the missing pairs (uniformly after two rounds, so the popular items
 * that are already saturated cannot stall it); dense requests (more than half of all
 * pairs) use weighted sampling without replacement over every pair instead.
 */
export function sampleDistinctPairs(random: Random, options: PairOptions): Pairs {
  const { count, rows, cols, allowSameIndex } = options;
  const capacity = pairCapacity(rows.size, cols.size, allowSameIndex);
  if (count > capacity) throw new RangeError(`cannot draw ${count} distinct pairs out of ${capacity}`);
  if (rows.size * cols.size > Number.MAX_SAFE_INTEGER) throw new RangeError('too many pairs to index');
  const keys =
    count === 0 ? new Float64Array(0) : count * 2 > capacity ? denseKeys(random, options) : sparseKeys(random, options);
  const pairRows = new Uint32Array(count);
  const pairCols = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) {
    const key = keys[i] as number;
    const row = Math.floor(key / cols.size);
    pairRows[i] = row;
    pairCols[i] = key - row * cols.size;
  }
  return { rows: pairRows, cols: pairCols };
}

function sparseKeys(random: Random, { count, rows, cols, allowSameIndex }: PairOptions): Float64Array {
  let keys: Float64Array = new Float64Array(0);
  for (let round = 0; keys.length < count; round += 1) {
    const skewed = round < 2;
    const drawn = new Float64Array(count);
    drawn.set(keys);
    for (let i = keys.length; i < count; i += 1) {
      const row = skewed ? rows.sample(random) : random.int(rows.size);
      let col = skewed ? cols.sample(random) : random.int(cols.size);
      while (!allowSameIndex && col === row) col = random.int(cols.size);
      drawn[i] = row * cols.size + col;
    }
    keys = sortedUnique(drawn);
  }
  return keys;
}

/**
 * Efraimidis-Spirakis: every valid pair gets the key -ln(u) / weight and the `count` smallest
 * keys win, which samples without replacement in proportion to weight. Only used when the
 * request is at least half of all pairs, so enumerating them all is at most twice the output.
 */
function denseKeys(random: Random, { count, rows, cols, allowSameIndex }: PairOptions): Float64Array {
  const capacity = pairCapacity(rows.size, cols.size, allowSameIndex);
  const pairKeys = new Float64Array(capacity);
  const priorities = new Float64Array(capacity);
  let n = 0;
  for (let row = 0; row < rows.size; row += 1) {
    for (let col = 0; col < cols.size; col += 1) {
      if (!allowSameIndex && row === col) continue;
      pairKeys[n] = row * cols.size + col;
      priorities[n] = -Math.log(1 - random.next()) / (rows.weight(row) * cols.weight(col));
      n += 1;
    }
  }
  const order = Array.from({ length: capacity }, (_, i) => i).sort(
    (a, b) => (priorities[a] as number) - (priorities[b] as number),
  );
  return Float64Array.from(order.slice(0, count), (i) => pairKeys[i] as number).sort();
}

function sortedUnique(keys: Float64Array): Float64Array {
  keys.sort();
  let unique = 0;
  for (let i = 0; i < keys.length; i += 1) {
    if (i === 0 || keys[i] !== keys[unique - 1]) keys[unique++] = keys[i] as number;
  }
  return keys.subarray(0, unique);
}
