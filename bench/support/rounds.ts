/**
 * The order of the targets in round `round` (0-based) of an alternating comparison: rotated by
 * one each round, so every target runs first, second, … equally often over `targets.length`
 * rounds, and drift on a shared machine (or the warmth a previous run leaves) hits them alike.
 */
export function roundOrder<T>(targets: readonly T[], round: number): T[] {
  const n = targets.length;
  return targets.map((_, i) => targets[(i + round) % n] as T);
}
