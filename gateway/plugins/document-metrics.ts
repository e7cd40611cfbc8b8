import { Counter, type Registry } from 'prom-client';

/** `hit`: the hash named a known document; `miss`: it did not (PERSISTED_QUERY_NOT_FOUND); `registered`: hash and document stored. */
export type PersistedQueryOutcome = 'hit' | 'miss' | 'registered';
/** `hit`: a documentId of the manifest; `miss`: an id or hash outside it; `refused`: an ad-hoc document under PERSISTED_OPERATIONS_ONLY. */
export type TrustedDocumentOutcome = 'hit' | 'miss' | 'refused';

export interface DocumentCounters {
  persistedQuery(outcome: PersistedQueryOutcome): void;
  trustedDocument(outcome: TrustedDocumentOutcome): void;
}

/**
 * `gateway_persisted_queries_total{outcome}` and `gateway_trusted_documents_total{outcome}`
 * (docs/metrics.md): how often clients name a document by hash and find it, the APQ hit rate
 * being hits over hits and misses.
 */
export function createDocumentCounters(registry: Registry): DocumentCounters {
  const persisted = new Counter({
    name: 'gateway_persisted_queries_total',
    help: 'Automatic persisted queries: hashes found (hit) or not (miss), and documents registered.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const trusted = new Counter({
    name: 'gateway_trusted_documents_total',
    help: 'Trusted documents: documentIds found in the manifest (hit), ids or hashes outside it (miss), ad-hoc documents refused.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    persistedQuery: (outcome) => persisted.inc({ outcome }),
    trustedDocument: (outcome) => trusted.inc({ outcome }),
  };
}
