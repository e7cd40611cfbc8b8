import { Counter, type Registry } from 'prom-client';

/** Lookups and failures of the entity cache; the gateway's metrics export them. */
export interface EntityCacheCounters {
  /** `count` lookups of `subgraph` (one per representation of an entity fetch, one per root fetch). */
  lookups(subgraph: string, outcome: 'hit' | 'miss', count: number): void;
  /** A store operation that failed (answered as a miss, or not stored). */
  error(operation: 'lookup' | 'store' | 'invalidate'): void;
}

/**
 * `gateway_entity_cache_lookups_total{subgraph,outcome="hit"|"miss"}` (a failed lookup is a
 * miss) and `gateway_entity_cache_errors_total{operation}`; the hit rate is hits over lookups.
 */
export function createEntityCacheCounters(registry: Registry): EntityCacheCounters {
  const lookups = new Counter({
    name: 'gateway_entity_cache_lookups_total',
    help: 'Entity cache lookups: one per representation of an _entities fetch and one per root fetch, by subgraph and outcome (hit or miss).',
    labelNames: ['subgraph', 'outcome'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'gateway_entity_cache_errors_total',
    help: 'Entity cache store operations that failed (answered as misses), by operation.',
    labelNames: ['operation'],
    registers: [registry],
  });
  return {
    lookups: (subgraph, outcome, count) => {
      if (count > 0) lookups.inc({ subgraph, outcome }, count);
    },
    error: (operation) => errors.inc({ operation }),
  };
}
