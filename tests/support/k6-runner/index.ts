import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs a k6 script through the k6 shim (main.js) in a child Node process and returns its report.
 * The shim implements the part of the k6 API that the repository's k6 scripts use, with k6's
 * semantics, on a per-VU-iterations schedule; it is not k6 (no stages, no load figures).
 */

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

export interface K6ShimOptions {
  /** The script, relative to the repository root (e.g. `k6/messaging.js`) or absolute. */
  script: string;
  /** `__ENV`, as `k6 run -e KEY=VALUE` (no other environment variable is visible). */
  env: Record<string, string>;
  /** VUs running at once, each `iterations` times. */
  vus: number;
  iterations: number;
  /** `ignore` (default): drop the WebSocket constructor's `protocols`, like a k6 that does not implement it; `apply`: send it. */
  wsProtocolsArgument?: 'ignore' | 'apply';
  /** `drop`: leave out the Sec-WebSocket-Protocol header of the params too (a negative control). Default `send`. */
  wsSubprotocolHeader?: 'send' | 'drop';
  /** The child gives up after this (default 90 s). */
  maxDurationSeconds?: number;
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  actual?: number;
  samples?: number;
  /** Why k6 would refuse this threshold (unknown metric, bad expression). */
  error?: string;
}

export interface MetricSummary {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  isTime: boolean;
  /** Counter: count, rate; Rate: rate, passes, fails; Trend: count, avg, min, med, max, p(90), p(95), p(99); Gauge: value. */
  values: Record<string, number>;
  /** Counters and Rates: the same per value of each tag, e.g. `byTag.reason.closed_4406.count`. */
  byTag: Record<string, Record<string, Record<string, number>>>;
}

/** What the k6/websockets shim saw of one socket. */
export interface SocketRecord {
  vu: number;
  url: string;
  /** The constructor's second argument as the script passed it. */
  protocolsArgument: unknown;
  /** Whether the shim sent it (only with `wsProtocolsArgument: 'apply'`). */
  protocolsArgumentSent: boolean;
  /** The Sec-WebSocket-Protocol header the shim sent from the params' headers, if any. */
  subprotocolHeader: string | null;
  /** The subprotocol the server accepted ('' when none). */
  protocol: string;
  opened: boolean;
  closeCode: number | null;
  error: string | null;
}

export interface K6ShimReport {
  runner: string;
  script: string;
  vus: number;
  iterationsPerVu: number;
  loaded: boolean;
  initErrors: string[];
  setup: { ran: boolean; ok: boolean; error: string | null };
  teardown: { ran: boolean; ok: boolean; error: string | null };
  iterations: { completed: number; failed: number; errors: { vu: number; iteration: number; error: string }[] };
  aborted: string | null;
  runnerErrors: string[];
  durationSeconds: number;
  /** Seconds from the start to the end of each phase (init, setup, iterations, teardown). */
  phaseEnds: Record<string, number>;
  checks: { passes: number; fails: number; byName: Record<string, { passes: number; fails: number }> };
  metrics: Record<string, MetricSummary>;
  thresholds: ThresholdResult[];
  sockets: SocketRecord[];
  logs: { vu: number; level: string; text: string }[];
}

export interface K6ShimRun {
  /** 0, or as k6: 99 thresholds failed, 107 script error, 108 aborted; 1 the run itself failed. */
  exitCode: number | null;
  report: K6ShimReport;
  /** The VUs' console output and failed iterations, for a failing test's message. */
  stderr: string;
}

/** Runs `options.script` through the shim; rejects only when the child wrote no report. */
export async function runK6Script(options: K6ShimOptions): Promise<K6ShimRun> {
  const dir = mkdtempSync(join(tmpdir(), 'k6-shim-'));
  const reportFile = join(dir, 'report.json');
  const args = [
    MAIN,
    '--vus',
    String(options.vus),
    '--iterations',
    String(options.iterations),
    '--max-duration',
    String(options.maxDurationSeconds ?? 90),
    '--ws-protocols-argument',
    options.wsProtocolsArgument ?? 'ignore',
    '--ws-subprotocol-header',
    options.wsSubprotocolHeader ?? 'send',
    '--report',
    reportFile,
    ...Object.entries(options.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
    resolve(REPOSITORY, options.script),
  ];
  try {
    const child = spawn(process.execPath, args, { cwd: REPOSITORY, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exitCode = await new Promise<number | null>((done, fail) => {
      child.on('error', fail);
      child.on('close', (code) => done(code));
    });
    let text: string;
    try {
      text = readFileSync(reportFile, 'utf8');
    } catch {
      throw new Error(`the k6 shim wrote no report (exit code ${exitCode}):\n${stderr}`);
    }
    return { exitCode, report: JSON.parse(text) as K6ShimReport, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
