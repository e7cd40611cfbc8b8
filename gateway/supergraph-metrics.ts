import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReloadOutcome } from './federated-subscriptions.js';

export interface SupergraphMetrics {
  /** A supergraph read was applied (`applied`) or refused and the current one kept (`failed`). */
  reload(outcome: 'applied' | 'failed'): void;
  /** The supergraph served now, named by the hash of its SDL. */
  serving(generation: { readonly number: number; readonly hash: string }): void;
  /** What a reload did to the subscriptions open at the time. */
  subscriptionsReloaded(outcomes: Readonly<Record<ReloadOutcome, number>>): void;
  /** A subscription resubscribed upstream after a lost subgraph connection, or gave up. */
  resume(subgraph: string, outcome: 'resubscribed' | 'gave_up'): void;
}

/**
 * `gateway_supergraph_reloads_total{outcome}`, `gateway_supergraph_info{hash,generation}`,
 * `gateway_subscription_reloads_total{outcome}` and `gateway_subscription_resumes_total{subgraph,outcome}`
 * (docs/metrics.md): an operator sees which supergraph each instance serves, and whether
 * reloads and subgraph restarts reached subscribers.
 */
export function createSupergraphMetrics(registry: Registry): SupergraphMetrics {
  const reloads = new Counter({
    name: 'gateway_supergraph_reloads_total',
    help: 'Supergraph reloads: applied, or failed (the gateway kept serving the previous supergraph).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const info = new Gauge({
    name: 'gateway_supergraph_info',
    help: 'The supergraph served: 1 for its hash (first 16 hex digits of the SDL sha256) and generation.',
    labelNames: ['hash', 'generation'],
    registers: [registry],
  });
  const subscriptionReloads = new Counter({
    name: 'gateway_subscription_reloads_total',
    help: 'Open subscriptions at a supergraph reload: replanned on the new supergraph, kept on their plan, or ended (no longer valid).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const resumes = new Counter({
    name: 'gateway_subscription_resumes_total',
    help: 'Subscriptions resubscribed to a subgraph from their last event after a lost connection, or given up (the client was told to reconnect).',
    labelNames: ['subgraph', 'outcome'],
    registers: [registry],
  });
  return {
    reload: (outcome) => reloads.inc({ outcome }),
    serving(generation) {
      info.reset();
      info.set({ hash: generation.hash, generation: String(generation.number) }, 1);
    },
    subscriptionsReloaded(outcomes) {
      for (const [outcome, count] of Object.entries(outcomes)) if (count > 0) subscriptionReloads.inc({ outcome }, count);
    },
    resume: (subgraph, outcome) => resumes.inc({ subgraph, outcome }),
  };
}
