/**
 * The p95 of SQL statement durations, from the platform's own Prometheus metrics (`GET
 * /metrics` on every subgraph process): the histogram whose name says it times SQL statements
 * (database / query / statement / sql, not HTTP), summed over its labels and processes.
 * Snapshots are taken before and after a scenario; the difference is that scenario's statements.
 */

/** Cumulative bucket counts by upper bound (seconds or ms, as the metric says), summed over labels and processes. */
export interface HistogramSnapshot {
  readonly name: string | null;
  /** Multiply bucket bounds by this to get milliseconds (1000 for a *_seconds histogram). */
  readonly toMs: number;
  readonly buckets: ReadonlyMap<number, number>;
  readonly count: number;
}

const SQL_HISTOGRAM = /(sql|db_|database|statement|query_duration|queries)/i;

function pickHistogram(text: string): string | null {
  for (const line of text.split('\n')) {
    const match = /^# TYPE (\S+) histogram$/.exec(line);
    if (match?.[1] !== undefined && SQL_HISTOGRAM.test(match[1]) && !/http|graphql|subgraph_request/i.test(match[1]))
      return match[1];
  }
  return null;
}

/** Fetches `/metrics` of every origin and sums the SQL histogram; `name` is null when none exposes one. */
export async function snapshotSqlHistogram(origins: readonly string[]): Promise<HistogramSnapshot> {
  const buckets = new Map<number, number>();
  let name: string | null = null;
  let count = 0;
  for (const origin of origins) {
    let text: string;
    try {
      const response = await fetch(`${origin}/metrics`);
      if (!response.ok) continue;
      text = await response.text();
    } catch {
      continue;
    }
    const histogram = pickHistogram(text);
    if (histogram === null) continue;
    name = histogram;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${histogram}_bucket`)) {
        const le = /le="([^"]+)"/.exec(line)?.[1];
        const value = Number(line.slice(line.lastIndexOf(' ') + 1));
        if (le === undefined || !Number.isFinite(value)) continue;
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        buckets.set(bound, (buckets.get(bound) ?? 0) + value);
      } else if (line.startsWith(`${histogram}_count`)) {
        count += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
      }
    }
  }
  return { name, toMs: name !== null && /seconds/.test(name) ? 1000 : 1, buckets, count };
}

/**
 * The `q` quantile (0..1) of the statements between two snapshots, interpolated inside the
 * bucket as Prometheus' histogram_quantile does; null without a histogram or statements.
 */
export function quantileBetween(before: HistogramSnapshot, after: HistogramSnapshot, q: number): number | null {
  if (after.name === null) return null;
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (after.buckets.get(bound) ?? 0) - (before.buckets.get(bound) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i += 1) {
    if ((counts[i] as number) >= rank) {
      const upper = bounds[i] as number;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      if (!Number.isFinite(upper)) return lower * after.toMs;
      const below = i === 0 ? 0 : (counts[i - 1] as number);
      const inBucket = (counts[i] as number) - below;
      const fraction = inBucket === 0 ? 1 : (rank - below) / inBucket;
      return (lower + (upper - lower) * fraction) * after.toMs;
    }
  }
  return null;
}
