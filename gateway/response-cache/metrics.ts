import { Counter, type Registry } from 'prom-client';
import type { ResponseCacheCounters } from './guarded-cache.js';

/**
 * `gateway_response_cache_lookups_total{outcome="hit"|"miss"}` (a failed lookup is a miss),
 * `gateway_response_cache_errors_total{operation}` and `gateway_response_cache_early_hits_total`
 * (the hits answered before Yoga, early-hits.ts); the hit rate is hits over lookups.
 */
export function createResponseCacheCounters(registry: Registry): ResponseCacheCounters {
  const lookups = new Counter({
    name: 'gateway_response_cache_lookups_total',
    help: 'Response cache lookups of cacheable queries, by outcome (hit or miss).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'gateway_response_cache_errors_total',
    help: 'Response cache store operations that failed (answered as misses), by operation.',
    labelNames: ['operation'],
    registers: [registry],
  });
  const early = new Counter({
    name: 'gateway_response_cache_early_hits_total',
    help: 'Response cache hits answered before the request was parsed (a part of the hits).',
    registers: [registry],
  });
  return {
    hit: () => lookups.inc({ outcome: 'hit' }),
    earlyHit: () => early.inc(),
    miss: () => lookups.inc({ outcome: 'miss' }),
    error: (operation) => errors.inc({ operation }),
  };
}
