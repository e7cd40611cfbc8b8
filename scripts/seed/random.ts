/**
 * A seeded PRNG and the skewed samplers built on it. The seed command must be reproducible
 * (`--seed`), so nothing in the generated data may come from Math.random.
 */

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** An integer in [min, max], both included. */
  between(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /**
   * An independent stream named `label`. Each part of the seed draws from its own stream,
   * so changing how many numbers one part draws does not reshuffle everything after it.
   */
  fork(label: string): Random;
}

/** mulberry32: tiny, fast, and good enough for test data (not for anything secret). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (maxExclusive: number) => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(items.length)] as T;
    },
    fork: (label) => createRandom(hashSeed(seed, label)),
  };
}

/** FNV-1a over the seed and the label: distinct labels give unrelated streams. */
function hashSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (const char of `${seed}:${label}`) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Draws ranks 0..size-1 with P(rank k) proportional to 1 / (k + 1)^exponent: a few ranks are
 * drawn very often, a long tail rarely. That is what makes "trending" and "popular" mean
 * something in seeded data. Exponent 0 is uniform.
 */
export interface ZipfSampler {
  readonly size: number;
  sample(random: Random): number;
  /** The relative weight of `rank` (1 for rank 0). */
  weight(rank: number): number;
}

export function createZipfSampler(size: number, exponent: number): ZipfSampler {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`Zipf size must be a positive integer, got ${size}`);
  // Cumulative weights, searched by bisection: O(log n) per draw, one Float64Array of memory.
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let rank = 0; rank < size; rank += 1) {
    total += (rank + 1) ** -exponent;
    cumulative[rank] = total;
  }
  return {
    size,
    sample(random) {
      const target = random.next() * total;
      let low = 0;
      let high = size - 1;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if ((cumulative[middle] as number) <= target) low = middle + 1;
        else high = middle;
      }
      return low;
    },
    weight: (rank) => (rank + 1) ** -exponent,
  };
}

/**
 * A Zipf sampler over items in a given popularity order (`itemOfRank[0]` is the most popular
 * item): with a shuffled order, the popular items are a random subset, not the first ones
 * created. Sharing one order between samplers with different exponents keeps them correlated
 * (the most followed students also post the most). `sample` returns an item index and
 * `weight` takes one.
 */
export function createPopularity(itemOfRank: Uint32Array, exponent: number): ZipfSampler {
  const size = itemOfRank.length;
  const zipf = createZipfSampler(size, exponent);
  const rankOfItem = new Uint32Array(size);
  for (let rank = 0; rank < size; rank += 1) rankOfItem[itemOfRank[rank] as number] = rank;
  return {
    size,
    sample: (random) => itemOfRank[zipf.sample(random)] as number,
    weight: (item) => zipf.weight(rankOfItem[item] as number),
  };
}

/** 0..size-1 in a random order (Fisher-Yates). */
export function shuffledIndexes(random: Random, size: number): Uint32Array {
  const indexes = new Uint32Array(size);
  for (let i = 0; i < size; i += 1) indexes[i] = i;
  for (let i = size - 1; i > 0; i -= 1) {
    const j = random.int(i + 1);
    const swap = indexes[i] as number;
    indexes[i] = indexes[j] as number;
    indexes[j] = swap;
  }
  return indexes;
}

/** An index of `weights`, drawn with probability proportional to its weight. */
export function weightedIndex(random: Random, weights: readonly number[]): number {
  let target = random.next() * weights.reduce((sum, weight) => sum + weight, 0);
  for (let i = 0; i < weights.length; i += 1) {
    target -= weights[i] as number;
    if (target < 0) return i;
  }
  return weights.length - 1;
}

/** A key of `weights`, drawn with probability proportional to its value. */
export function pickWeighted<K extends string>(random: Random, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as [K, number][];
  return (
    entries[
      weightedIndex(
        random,
        entries.map(([, weight]) => weight),
      )
    ] as [K, number]
  )[0];
}
