import DataLoader from 'dataloader';
import { Histogram } from 'prom-client';
import type { ServiceMetrics } from '../infra/metrics.js';

/** A DataLoader whose batches are observed under `name`; the contract and options are DataLoader's own. */
export type MakeLoader = <K, V, C = K>(
  name: string,
  batch: DataLoader.BatchLoadFn<K, V>,
  options?: DataLoader.Options<K, V, C>,
) => DataLoader<K, V, C>;

/** One key to a few hundred (a page of entity references); a batch near 1 000 is a query plan to look at. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/**
 * How a subgraph builds its per-request DataLoaders: `dataloader_batch_size{loader}` observes
 * the number of keys of every batch function call, so `_sum / _count` is the mean batch and a
 * loader stuck at 1 is an N+1 nobody batched. One histogram per service, made here once.
 */
export function loaderFactory(metrics: ServiceMetrics): MakeLoader {
  const sizes = new Histogram({
    name: 'dataloader_batch_size',
    help: 'Keys per DataLoader batch function call, by loader.',
    labelNames: ['loader'],
    buckets: BATCH_SIZE_BUCKETS,
    registers: [metrics.registry],
  });
  return (name, batch, options) => {
    const observed = sizes.labels({ loader: name });
    return new DataLoader((keys) => {
      observed.observe(keys.length);
      return batch(keys);
    }, options);
  };
}
