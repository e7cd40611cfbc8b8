import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openKeyValueStore } from '../../lib/infra/key-value-store.js';
import { createServiceMetrics, observeRedisErrors } from '../../lib/infra/metrics.js';
import { openPubSub } from '../../lib/infra/pubsub.js';
import { createLogger } from '../../lib/kernel/logger.js';

/** redis_command_errors_total: each failed command of the store and the pub/sub, by name. */

const logger = createLogger({ level: 'silent', pretty: false });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A redis:// URL where nothing listens: every command fails (connection refused). */
async function deadRedisUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `redis://127.0.0.1:${port}`;
}

async function errorCount(
  metrics: ReturnType<typeof createServiceMetrics>,
  labels: Partial<Record<'client' | 'command', string>>,
): Promise<number> {
  const metric = await metrics.redisCommandErrors.get();
  return metric.values
    .filter((value) => Object.entries(labels).every(([key, expected]) => value.labels[key as 'client' | 'command'] === expected))
    .reduce((total, value) => total + value.value, 0);
}

describe('redis_command_errors_total', () => {
  it('counts the store’s failed commands by name, and nothing once it stops observing', async () => {
    const store = openKeyValueStore(await deadRedisUrl(), logger);
    closers.push(() => store.close());
    const metrics = createServiceMetrics('check', { processMetrics: false });
    const stop = observeRedisErrors(metrics, { store });

    await expect(store.get('a')).rejects.toThrow();
    await expect(store.set('a', '1')).rejects.toThrow();
    await expect(store.get('b')).rejects.toThrow();
    expect(await errorCount(metrics, { client: 'store', command: 'get' })).toBe(2);
    expect(await errorCount(metrics, { client: 'store', command: 'set' })).toBe(1);

    stop();
    await expect(store.del(['a'])).rejects.toThrow();
    expect(await errorCount(metrics, { client: 'store' })).toBe(3);
  });

  it('counts failed publishes of the pub/sub', async () => {
    const pubsub = openPubSub(await deadRedisUrl(), logger);
    closers.push(() => pubsub.close());
    const metrics = createServiceMetrics('check', { processMetrics: false });
    observeRedisErrors(metrics, { pubsub });

    await expect(pubsub.publish('channel', 'hello')).rejects.toThrow();
    expect(await errorCount(metrics, { client: 'pubsub', command: 'publish' })).toBe(1);
  });

  it('has nothing to count in memory', async () => {
    const store = openKeyValueStore(undefined, logger);
    const metrics = createServiceMetrics('check', { processMetrics: false });
    observeRedisErrors(metrics, { store, pubsub: openPubSub(undefined, logger) });
    await store.set('a', '1');
    expect(await store.get('a')).toBe('1');
    expect(await errorCount(metrics, {})).toBe(0);
  });
});
