import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printTable } from './stats.js';

/** One comparable number of a run: what a script diffing two results files reads. */
export interface Figure {
  readonly name: string;
  readonly value: number | null;
  readonly unit: string;
  /** The goal, as an expression on the value ("< 150", ">= 2"); null for figures reported without a goal. */
  readonly target: string | null;
  /** Whether the value meets the target; null without a target or a value. */
  readonly met: boolean | null;
}

/** A figure, with `met` computed from a target of the form "<op> <number>". */
export function figure(name: string, value: number | null, unit: string, target: string | null = null): Figure {
  const rounded = value === null || !Number.isFinite(value) ? null : Math.round(value * 1000) / 1000;
  return { name, value: rounded, unit, target, met: target === null || rounded === null ? null : meets(rounded, target) };
}

function meets(value: number, target: string): boolean {
  const match = /^(<=|>=|<|>)\s*(-?[\d.]+)$/.exec(target.trim());
  if (match === null) throw new Error(`bad target "${target}"`);
  const bound = Number(match[2]);
  switch (match[1]) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    default:
      return value >= bound;
  }
}

/** A latency chart's series: (percentile, ms) points. */
export interface LatencySeries {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface BenchReport {
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly wallClockSeconds: number;
  readonly machine: Record<string, string | number>;
  readonly notes: string[];
  readonly figures: Figure[];
  readonly scenarios: Record<string, unknown>[];
  readonly comparison: Record<string, unknown>;
  readonly charts: { readonly title: string; readonly series: LatencySeries[] }[];
  readonly [key: string]: unknown;
}

function format(value: number | null): string {
  if (value === null) return 'n/a';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(value === Math.round(value) ? 0 : 3);
}

function verdict(figure: Figure): string {
  return figure.met === null ? '' : figure.met ? 'met' : 'NOT met';
}

/** The summary table: each figure next to its target, marked met or not met. */
export function printSummary(report: BenchReport): void {
  console.log(`\nChitLaq Graph benchmark (${report.mode}), ${report.startedAt}`);
  for (const note of report.notes) console.log(`  * ${note}`);
  console.log('');
  printTable(
    ['figure', 'value', 'unit', 'target', 'result'],
    report.figures.map((f) => [f.name, format(f.value), f.unit, f.target ?? '', verdict(f)]),
  );
  const withTarget = report.figures.filter((f) => f.met !== null);
  console.log(`\n${withTarget.filter((f) => f.met).length} of ${withTarget.length} targets met (goals, not gates).`);
}

/** Writes bench/results/<timestamp>.json and bench/results/latest.html; returns their paths. */
export function writeReport(directory: string, report: BenchReport): { json: string; html: string } {
  mkdirSync(directory, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = join(directory, `${stamp}.json`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const html = join(directory, 'latest.html');
  writeFileSync(html, renderHtml(report));
  return { json, html };
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

/** A latency-by-percentile line chart as inline SVG (x: percentile on a log scale of 100 - p, y: ms). */
function latencyChart(title: string, series: readonly LatencySeries[]): string {
  const width = 720;
  const height = 320;
  const pad = { left: 60, right: 180, top: 30, bottom: 40 };
  const all = series.flatMap((s) => s.points.map(([, ms]) => ms)).filter(Number.isFinite);
  const maxMs = Math.max(1, ...all) * 1.05;
  // 100 - p on a log axis spreads the tail (p90, p99, p99.9) the way latency charts usually do.
  const xOf = (p: number) => {
    const t = (Math.log10(100) - Math.log10(Math.max(0.1, 100 - p))) / (Math.log10(100) - Math.log10(0.1));
    return pad.left + t * (width - pad.left - pad.right);
  };
  const yOf = (ms: number) => pad.top + (1 - ms / maxMs) * (height - pad.top - pad.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<text x="${pad.left}" y="18" font-weight="bold">${escapeHtml(title)}</text>`,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#888"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#888"/>`,
  ];
  for (const p of [0, 50, 90, 95, 99, 99.9]) {
    const x = xOf(p);
    parts.push(
      `<line x1="${x}" y1="${pad.top}" x2="${x}" y2="${height - pad.bottom}" stroke="#eee"/>`,
      `<text x="${x}" y="${height - pad.bottom + 16}" font-size="11" text-anchor="middle">p${p}</text>`,
    );
  }
  for (let i = 0; i <= 4; i += 1) {
    const ms = (maxMs * i) / 4;
    parts.push(`<text x="${pad.left - 6}" y="${yOf(ms) + 4}" font-size="11" text-anchor="end">${format(ms)} ms</text>`);
  }
  series.forEach((s, index) => {
    const color = COLORS[index % COLORS.length] as string;
    const points = s.points.filter(([, ms]) => Number.isFinite(ms));
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([p, ms]) => `${xOf(p).toFixed(1)},${yOf(ms).toFixed(1)}`).join(' ')}"/>`,
      `<text x="${width - pad.right + 10}" y="${pad.top + 16 * index + 10}" font-size="12" fill="${color}">${escapeHtml(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function renderHtml(report: BenchReport): string {
  const figureRows = report.figures
    .map(
      (f) =>
        `<tr class="${f.met === null ? '' : f.met ? 'met' : 'missed'}"><td>${escapeHtml(f.name)}</td><td class="n">${format(f.value)}</td><td>${escapeHtml(f.unit)}</td><td>${escapeHtml(f.target ?? '')}</td><td>${verdict(f)}</td></tr>`,
    )
    .join('');
  const machine = table(
    ['', ''],
    Object.entries(report.machine).map(([key, value]) => [key, String(value)]),
  );
  const scenarioRows = report.scenarios.map((s) =>
    [
      'name',
      'target',
      'connections',
      'requests',
      'rps',
      'p50',
      'p95',
      'p99',
      'errorRate',
      'hitRate',
      'gatewayCpuMsPerRequest',
      'gatewayCpuCores',
      'subgraphRequestsPerOperation',
      'entityHitRate',
    ].map((key) => {
      const value = s[key];
      return typeof value === 'number' ? format(value) : value === undefined || value === null ? '' : String(value);
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ChitLaq Graph benchmark ${escapeHtml(report.startedAt)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; font-size: 14px; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.met td:last-child { color: #080; font-weight: bold; }
tr.missed td:last-child { color: #b00; font-weight: bold; }
</style></head><body>
<h1>ChitLaq Graph benchmark (${escapeHtml(report.mode)})</h1>
<p>Started ${escapeHtml(report.startedAt)}, ${format(report.wallClockSeconds)} s wall clock.</p>
<ul>${report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>
<h2>Machine</h2>${machine}
<h2>Figures and targets</h2>
<table><thead><tr><th>figure</th><th>value</th><th>unit</th><th>target</th><th>result</th></tr></thead><tbody>${figureRows}</tbody></table>
<h2>Scenarios</h2>${table(
    [
      'scenario',
      'target',
      'connections',
      'requests',
      'req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'error rate',
      'hit rate',
      'gateway CPU ms/request',
      'gateway CPU used (cores)',
      'subgraph requests/operation',
      'entity hit rate',
    ],
    scenarioRows,
  )}
<h2>Latency charts</h2>
${report.charts.map((chart) => latencyChart(chart.title, chart.series)).join('\n')}
<h2>Raw</h2><pre>${escapeHtml(JSON.stringify({ comparison: report.comparison }, null, 2))}</pre>
</body></html>
`;
}
