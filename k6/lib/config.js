/**
 * Run configuration shared by the k6 scripts: environment variables (`-e NAME=value`), the
 * scenario stages with their smoke-run scaling, and the thresholds of the seed's performance
 * targets. Plain ES module for k6's init context: no npm imports.
 */

/** GraphQL over HTTP endpoint of the gateway. */
export const BASE_URL = __ENV.BASE_URL || 'http://localhost:4000/graphql';

/** GraphQL over WebSocket endpoint: BASE_URL with ws(s):// unless WS_URL says otherwise. */
export const WS_URL = __ENV.WS_URL || BASE_URL.replace(/^http(s?):\/\//, 'ws$1://');

/** A number from the environment, or `fallback`; anything else stops the run at init. */
export function envNumber(name, fallback, { min = -Infinity, max = Infinity } = {}) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}=${raw}: expected a number between ${min} and ${max}`);
  }
  return value;
}

/** A boolean from the environment (`true`/`1`/`yes` or `false`/`0`/`no`), or `fallback`. */
export function envBool(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new Error(`${name}=${raw}: expected true or false`);
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds in a k6 duration string such as `90s`, `2m`, `1m30s`. */
export function durationSeconds(text) {
  const source = String(text).trim();
  let seconds = 0;
  let consumed = '';
  const pattern = new RegExp(DURATION_PART.source, 'g');
  let match = pattern.exec(source);
  while (match !== null) {
    seconds += Number(match[1]) * UNIT_SECONDS[match[2]];
    consumed += match[0];
    match = pattern.exec(source);
  }
  if (consumed === '' || consumed !== source) throw new Error(`"${text}" is not a duration like 30s, 2m or 1m30s`);
  return seconds;
}

/** `30s:10,1m:10,30s:0` → `[{ duration: '30s', target: 10 }, …]`. */
export function parseStages(text) {
  return String(text)
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [duration, target, ...rest] = part.split(':');
      const vus = Number(target);
      if (rest.length > 0 || !Number.isInteger(vus) || vus < 0) {
        throw new Error(`STAGES: "${part}" is not <duration>:<target VUs>, e.g. 30s:10`);
      }
      durationSeconds(duration); // validates
      return { duration: duration.trim(), target: vus };
    });
}

/**
 * The scenario's ramping-vus stages: `defaults` (the seed's), or `-e STAGES=30s:10,1m:10,30s:0`,
 * then scaled by `-e VUS_SCALE=0.1` (targets, rounded, at least 1 where non-zero) and
 * `-e TIME_SCALE=0.1` (durations, at least 1 s) for a short smoke run.
 */
export function scenarioStages(defaults) {
  const stages = __ENV.STAGES ? parseStages(__ENV.STAGES) : defaults;
  if (stages.length === 0) throw new Error('STAGES: at least one stage is needed');
  const vusScale = envNumber('VUS_SCALE', 1, { min: 0.0001, max: 1000 });
  const timeScale = envNumber('TIME_SCALE', 1, { min: 0.0001, max: 1000 });
  return stages.map(({ duration, target }) => ({
    duration: `${Math.max(1, Math.round(durationSeconds(duration) * timeScale))}s`,
    target: target === 0 ? 0 : Math.max(1, Math.round(target * vusScale)),
  }));
}

/** The highest VU target of `stages`. */
export function maxTarget(stages) {
  return stages.reduce((max, stage) => Math.max(max, stage.target), 0);
}

/**
 * The seed's targets as thresholds (http_req_duration p(95)<150, http_req_failed rate<0.01),
 * GraphQL errors in HTTP 200 answers counted as failures (graphql_errors rate<0.01), and any
 * RATE_LIMITED answer failing the run (the target's limits were not raised for a load test).
 * Per operation, display-only entries (they always pass) make the end-of-test summary list
 * each operation's latency and error rate next to the overall gates.
 */
export function seedThresholds(operationNames, extra = {}) {
  const thresholds = {
    http_req_duration: ['p(95)<150'],
    http_req_failed: ['rate<0.01'],
    graphql_errors: ['rate<0.01'],
    rate_limited: ['count<1'],
  };
  for (const name of operationNames) {
    thresholds[`http_req_duration{operation:${name}}`] = ['max>=0'];
    thresholds[`graphql_errors{operation:${name}}`] = ['rate>=0'];
  }
  return Object.assign(thresholds, extra);
}

/** Trend columns of the end-of-test summary. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

/** Pause between iterations of a virtual user, seconds (`-e THINK_TIME=…`). */
export const THINK_TIME = envNumber('THINK_TIME', 1, { min: 0, max: 600 });
