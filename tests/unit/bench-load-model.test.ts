import { describe, expect, it } from 'vitest';
import { countersBetween, sumCounter } from '../../bench/support/gateway-metrics.js';
import { roundOrder } from '../../bench/support/rounds.js';
import { planScenario, SEED_SCENARIOS } from '../../bench/support/seed-load-model.js';

const scenario = (name: string) => SEED_SCENARIOS.find((s) => s.name === name) as (typeof SEED_SCENARIOS)[number];

describe('the seed load model as an open model (bench/support/seed-load-model.ts)', () => {
  it('starts feed_loading sessions at users ÷ (think time + 7 requests at the 50 ms baseline)', () => {
    const plan = planScenario(scenario('feed_loading'), 1);
    expect(plan.users).toBe(500);
    expect(plan.sessionsPerSecond).toBeCloseTo(500 / 1.35, 6);
    expect(plan.requestsPerSecond).toBeCloseTo((7 * 500) / 1.35, 6);
  });

  it('sends messaging at the k6 script’s fixed rate: 10 % of 1000 users every 5 s', () => {
    const plan = planScenario(scenario('messaging'), 1);
    expect(plan).toMatchObject({ users: 100, sessionsPerSecond: 20, requestsPerSecond: 20 });
  });

  it('scales users down for the quick run, never below one', () => {
    expect(planScenario(scenario('user_registration'), 0.05).users).toBe(5);
    expect(planScenario(scenario('user_registration'), 0.0001).users).toBe(1);
    expect(planScenario(scenario('messaging'), 0.05)).toMatchObject({ users: 5, sessionsPerSecond: 1 });
  });
});

describe('alternating rounds (bench/support/rounds.ts)', () => {
  it('rotates the order so each target runs in each position once over n rounds', () => {
    const targets = ['ours', 'apollo', 'hive', 'hive-rust'];
    const orders = [0, 1, 2, 3].map((round) => roundOrder(targets, round));
    expect(orders[1]).toEqual(['apollo', 'hive', 'hive-rust', 'ours']);
    for (let position = 0; position < targets.length; position += 1)
      expect(new Set(orders.map((order) => order[position]))).toEqual(new Set(targets));
  });
});

describe('gateway counters (bench/support/gateway-metrics.ts)', () => {
  const metrics = (hits: number, misses: number, requests: number, withEntityCache = true) =>
    [
      '# HELP gateway_subgraph_requests_total Requests the gateway sent to each subgraph, by outcome.',
      '# TYPE gateway_subgraph_requests_total counter',
      `gateway_subgraph_requests_total{subgraph="users",outcome="ok"} ${requests - 1}`,
      'gateway_subgraph_requests_total{subgraph="posts",outcome="error"} 1',
      ...(withEntityCache
        ? [
            '# TYPE gateway_entity_cache_lookups_total counter',
            `gateway_entity_cache_lookups_total{subgraph="users",outcome="hit"} ${hits}`,
            `gateway_entity_cache_lookups_total{subgraph="users",outcome="miss"} ${misses}`,
          ]
        : []),
    ].join('\n');

  it('sums a counter over its labels, filtered by the labels asked for', () => {
    expect(sumCounter(metrics(3, 2, 10), 'gateway_subgraph_requests_total')).toBe(10);
    expect(sumCounter(metrics(3, 2, 10), 'gateway_entity_cache_lookups_total', { outcome: 'hit' })).toBe(3);
    expect(sumCounter(metrics(3, 2, 10, false), 'gateway_entity_cache_lookups_total', { outcome: 'hit' })).toBeNull();
  });

  it('gives the hit rate and subgraph requests per operation between two snapshots; n/a without the counter', () => {
    const snapshot = (text: string) => ({
      subgraphRequests: sumCounter(text, 'gateway_subgraph_requests_total'),
      entityHits: sumCounter(text, 'gateway_entity_cache_lookups_total', { outcome: 'hit' }),
      entityMisses: sumCounter(text, 'gateway_entity_cache_lookups_total', { outcome: 'miss' }),
    });
    expect(countersBetween(snapshot(metrics(10, 10, 100)), snapshot(metrics(40, 20, 160)), 30)).toEqual({
      subgraphRequestsPerOperation: 2,
      entityHitRate: 0.75,
      entityLookups: 40,
    });
    expect(countersBetween(snapshot(metrics(0, 0, 100, false)), snapshot(metrics(0, 0, 130, false)), 30)).toEqual({
      subgraphRequestsPerOperation: 1,
      entityHitRate: null,
      entityLookups: null,
    });
  });
});
