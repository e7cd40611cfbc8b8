import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createServiceMetrics } from '../../lib/infra/metrics.js';

/**
 * deploy/grafana/chitlaq.json and deploy/prometheus/ parse, and name only metrics that
 * docs/metrics.md documents: a renamed metric breaks this test, not a dashboard nobody watches.
 */

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Metric names in the tables of docs/metrics.md (first column), `process_*`-style families apart. */
function documented(): { names: Set<string>; families: string[] } {
  const names = new Set<string>();
  const families: string[] = [];
  for (const match of read('docs/metrics.md').matchAll(/^\| `([a-z_:*]+)`(?:, `([a-z_:*]+)`)? \|/gm)) {
    for (const name of [match[1], match[2]]) {
      if (name === undefined) continue;
      if (name.endsWith('*')) families.push(name.slice(0, -1));
      else names.add(name);
    }
  }
  return { names, families };
}

/** PromQL words that are not metric names: functions, aggregations, keywords, Prometheus's own series. */
const PROMQL_WORDS = new Set([
  'sum',
  'rate',
  'histogram_quantile',
  'by',
  'and',
  'or',
  'vector',
  'max',
  'min',
  'avg',
  'count',
  'le',
  'without',
  'increase',
  'irate',
  'on',
  'ignoring',
  'bool',
  'unless',
  'group_left',
  'group_right',
  'offset',
  'up',
  'abs',
  'clamp_min',
]);

/** The metric names an expression reads: words outside label matchers, legends and strings, histogram suffixes removed. */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/"[^"]*"/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b/g)]
    .map((match) => match[0])
    .filter((word) => !PROMQL_WORDS.has(word) && !/^\d/.test(word) && !word.startsWith('$'))
    .map((word) => word.replace(/_(bucket|sum|count)$/, ''));
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(read('deploy/grafana/chitlaq.json')) as { uid: string; panels: Panel[] };
const alerts = parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: { alert: string; expr: string }[] }[] };
const scrape = parse(read('deploy/prometheus/prometheus.yml')) as {
  rule_files: string[];
  scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
};

const expressions = [
  ...dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  ),
  ...alerts.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }))),
];

describe('deploy/ monitoring files', () => {
  it('scrape every instance of deploy/docker-compose.yml on /metrics, with the alert rules loaded', () => {
    expect(scrape.rule_files).toEqual(['alerts.yml']);
    expect(scrape.scrape_configs.map((job) => [job.job_name, job.metrics_path, job.static_configs[0]?.targets])).toEqual([
      ['chitlaq-gateway', '/metrics', ['gateway-1:4000', 'gateway-2:4000']],
      ['chitlaq-users', '/metrics', ['users-1:4001', 'users-2:4001']],
      ['chitlaq-posts', '/metrics', ['posts-1:4002', 'posts-2:4002']],
      ['chitlaq-messages', '/metrics', ['messages-1:4003', 'messages-2:4003']],
    ]);
  });

  it('have a dashboard of panels that all query something, and alerts for the seed’s SLOs', () => {
    expect(dashboard.uid).toBe('chitlaq-graph');
    const queried = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(queried.length).toBeGreaterThan(20);
    expect(queried.filter((panel) => (panel.targets ?? []).length === 0)).toEqual([]);
    const rules = alerts.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['ApiLatencyP95High', 'SqlLatencyP95High', 'ErrorBudgetFastBurn', 'InstanceDown']),
    );
    // The seed's thresholds: 150 ms for the API, 50 ms for SQL.
    expect(rules.find((rule) => rule.alert === 'ApiLatencyP95High')?.expr).toMatch(/> 0\.15\s*$/);
    expect(rules.find((rule) => rule.alert === 'SqlLatencyP95High')?.expr).toMatch(/> 0\.05\s*$/);
  });

  it('name only metrics documented in docs/metrics.md', async () => {
    const { names, families } = documented();
    // The prom-client families are documented as `process_*`, `nodejs_*`: the names used must exist.
    const defaults = await createServiceMetrics('check').registry.getMetricsAsJSON();
    const exported = new Set(defaults.map((metric) => metric.name));
    const undocumented = expressions.flatMap(({ where, expr }) =>
      metricsIn(expr)
        .filter((name) => !names.has(name))
        .filter((name) => !(families.some((family) => name.startsWith(family)) && exported.has(name)))
        .map((name) => `${where}: ${name}`),
    );
    expect(undocumented).toEqual([]);
    // The check sees the names: every documented family of ours is used somewhere.
    const used = new Set(expressions.flatMap(({ expr }) => metricsIn(expr)));
    expect([...names].filter((name) => !used.has(name))).toEqual([]);
  });
});
