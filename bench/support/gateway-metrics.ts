/**
 * What our gateway did during a run, from its own Prometheus counters (`GET /metrics` on the
 * gateway), snapshotted before and after: the requests it sent to subgraphs
 * (`gateway_subgraph_requests_total{subgraph, outcome}`) and its entity cache's lookups
 * (`gateway_entity_cache_lookups_total{subgraph, outcome="hit"|"miss"}`). A gateway without an
 * entity cache has no such counter: the hit rate is then null ("n/a"), not 0.
 */

export interface GatewayCounters {
  /** Subgraph requests so far (every subgraph and outcome), or null without the counter. */
  readonly subgraphRequests: number | null;
  /** Entity cache lookups so far, or null without the counter. */
  readonly entityHits: number | null;
  readonly entityMisses: number | null;
}

const NONE: GatewayCounters = { subgraphRequests: null, entityHits: null, entityMisses: null };

/** The sum of counter `name`'s samples whose labels include every `labels` pair; null when there is no such counter. */
export function sumCounter(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | null {
  if (!new RegExp(`^# TYPE ${name} counter$`, 'm').test(text)) return null;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).some(([key, value]) => !line.includes(`${key}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}

/** The counters of the gateway serving `graphqlUrl` (its /metrics on the same origin); all null when unreachable. */
export async function snapshotGatewayCounters(graphqlUrl: string): Promise<GatewayCounters> {
  let text: string;
  try {
    const response = await fetch(`${new URL(graphqlUrl).origin}/metrics`);
    if (!response.ok) return NONE;
    text = await response.text();
  } catch {
    return NONE;
  }
  return {
    subgraphRequests: sumCounter(text, 'gateway_subgraph_requests_total'),
    entityHits: sumCounter(text, 'gateway_entity_cache_lookups_total', { outcome: 'hit' }),
    entityMisses: sumCounter(text, 'gateway_entity_cache_lookups_total', { outcome: 'miss' }),
  };
}

/** Per run: subgraph requests per operation served and the entity cache hit rate (hits ÷ lookups), null where unknown. */
export function countersBetween(
  before: GatewayCounters,
  after: GatewayCounters,
  operations: number,
): { subgraphRequestsPerOperation: number | null; entityHitRate: number | null; entityLookups: number | null } {
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  const subgraphRequests = delta(before.subgraphRequests, after.subgraphRequests);
  const hits = delta(before.entityHits, after.entityHits);
  const misses = delta(before.entityMisses, after.entityMisses);
  const lookups = hits === null || misses === null ? null : hits + misses;
  return {
    subgraphRequestsPerOperation: subgraphRequests === null || operations === 0 ? null : subgraphRequests / operations,
    entityHitRate: lookups === null || lookups === 0 || hits === null ? null : hits / lookups,
    entityLookups: lookups,
  };
}
