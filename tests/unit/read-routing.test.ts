import { OperationTypeNode } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type KeyValueStore, openKeyValueStore } from '../../lib/infra/key-value-store.js';
import { createLogger } from '../../lib/kernel/logger.js';
import type { Viewer } from '../../lib/kernel/tokens.js';
import { createReadRouting } from '../../lib/service/read-routing.js';

const logger = createLogger({ level: 'silent', pretty: false });
const HOUR = 3600_000;
const viewer = (id: string, issuedAgoMs = HOUR): Viewer => ({
  id,
  token: 't',
  expiresAt: Date.now() + HOUR,
  issuedAt: Date.now() - issuedAgoMs,
  scopes: new Set(),
});
const routing = (store: KeyValueStore, hasReplica = true) =>
  createReadRouting({ hasReplica, store, windowMs: 5000, namespace: 'test', logger });
const { QUERY, MUTATION, SUBSCRIPTION } = OperationTypeNode;

/** The rule of lib/service/read-routing.ts, case by case (tests/database-read-replica.test.ts runs it on real databases). */
describe('read routing', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends everything to the primary without a replica', async () => {
    const route = routing(openKeyValueStore(undefined, logger), false);
    expect(await route.choose(QUERY, null)).toBe('primary');
    expect(await route.choose(QUERY, viewer('a'))).toBe('primary');
  });

  it('runs mutations, subscriptions, unparsed operations and primary-asked reads on the primary; other queries on the replica', async () => {
    const route = routing(openKeyValueStore(undefined, logger));
    expect(await route.choose(MUTATION, null)).toBe('primary');
    expect(await route.choose(SUBSCRIPTION, viewer('a'))).toBe('primary');
    expect(await route.choose(undefined, null)).toBe('primary');
    expect(await route.choose(QUERY, null, true)).toBe('primary');
    expect(await route.choose(QUERY, null)).toBe('replica');
    expect(await route.choose(QUERY, viewer('a'))).toBe('replica');
  });

  it("reads a writer's queries from the primary for DATABASE_READ_YOUR_WRITES_MS after their mutation, on every instance", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = openKeyValueStore(undefined, logger);
    // Two instances sharing one store, as subgraphs share Redis.
    const [one, other] = [routing(store), routing(store)];
    const bea = viewer('bea');
    await one.choose(MUTATION, bea);
    expect(await other.choose(QUERY, bea)).toBe('primary');
    expect(await other.choose(QUERY, viewer('cleo'))).toBe('replica');
    vi.setSystemTime(Date.now() + 4900);
    expect(await other.choose(QUERY, bea)).toBe('primary');
    vi.setSystemTime(Date.now() + 200);
    expect(await other.choose(QUERY, bea)).toBe('replica');
  });

  it('reads a viewer whose token is younger than the window from the primary (register, login)', async () => {
    const route = routing(openKeyValueStore(undefined, logger));
    expect(await route.choose(QUERY, viewer('new', 1000))).toBe('primary');
    expect(await route.choose(QUERY, viewer('old', 6000))).toBe('replica');
  });

  it('reads from the primary when the store cannot say whether the viewer wrote', async () => {
    const failing = {
      ...openKeyValueStore(undefined, logger),
      get: () => Promise.reject(new Error('Redis is down')),
      set: () => Promise.reject(new Error('Redis is down')),
    } as KeyValueStore;
    const route = routing(failing);
    expect(await route.choose(MUTATION, viewer('a'))).toBe('primary');
    expect(await route.choose(QUERY, viewer('a'))).toBe('primary');
    expect(await route.choose(QUERY, null)).toBe('replica');
  });
});
