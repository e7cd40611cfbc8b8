/**
 * The controller's side of metrics: every VU's samples in one place, the end-of-test values of
 * each metric, and `options.thresholds` evaluated on them the way k6's metrics engine does at
 * the end of a run: sub-metrics `name{tag:value}`, aggregations `count` and `rate` (Counter),
 * `value` (Gauge), `rate` (Rate), `avg`, `min`, `max`, `med`, `p(N)` (Trend, with k6's linear
 * interpolation), an empty sink evaluated as zero. A threshold on a metric the script does not
 * have is an error, as k6 refuses such a script at start.
 */

/** @typedef {import('./vu-runtime.js').MetricType} MetricType */
/** @typedef {import('./vu-runtime.js').Sample} Sample */
/** @typedef {{ type: MetricType, isTime: boolean }} MetricKind */

/** The k6 built-in metrics this runner records (others, e.g. http_req_waiting, it does not). */
export const BUILTIN_METRICS = /** @type {Record<string, MetricKind>} */ ({
  checks: { type: 'rate', isTime: false },
  iterations: { type: 'counter', isTime: false },
  iteration_duration: { type: 'trend', isTime: true },
  http_reqs: { type: 'counter', isTime: false },
  http_req_duration: { type: 'trend', isTime: true },
  http_req_failed: { type: 'rate', isTime: false },
  ws_sessions: { type: 'counter', isTime: false },
  ws_msgs_sent: { type: 'counter', isTime: false },
  ws_msgs_received: { type: 'counter', isTime: false },
  ws_session_duration: { type: 'trend', isTime: true },
});

/** Tags too varied to break a metric down by in the report. */
const UNLISTED_TAGS = new Set(['url', 'name']);

/**
 * k6's TrendSink.P: the value at `fraction` of the sorted values, interpolated linearly.
 * @param {number[]} sorted ascending
 * @param {number} fraction 0…1
 */
export function percentile(sorted, fraction) {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) return /** @type {number} */ (sorted[0]);
  const i = fraction * (sorted.length - 1);
  const below = /** @type {number} */ (sorted[Math.floor(i)]);
  const above = /** @type {number} */ (sorted[Math.ceil(i)]);
  return below + (above - below) * (i - Math.floor(i));
}

/**
 * The aggregations of `values` for a metric of `type`, as threshold expressions name them.
 * @param {MetricType} type
 * @param {number[]} values
 * @param {number} durationSeconds the test's, for a Counter's rate
 */
export function aggregate(type, values, durationSeconds) {
  if (type === 'counter') {
    const count = values.reduce((sum, value) => sum + value, 0);
    return { count, rate: durationSeconds > 0 ? count / durationSeconds : 0 };
  }
  if (type === 'gauge') return { value: values.at(-1) ?? 0 };
  if (type === 'rate') {
    const passes = values.filter((value) => value !== 0).length;
    return { rate: values.length === 0 ? 0 : passes / values.length, passes, fails: values.length - passes };
  }
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    avg: sorted.length === 0 ? 0 : sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    min: sorted[0] ?? 0,
    med: percentile(sorted, 0.5),
    max: sorted.at(-1) ?? 0,
    'p(90)': percentile(sorted, 0.9),
    'p(95)': percentile(sorted, 0.95),
    'p(99)': percentile(sorted, 0.99),
  };
}

/**
 * `http_req_duration{operation:Login}` → `{ metric, tags }` (k6's sub-metric syntax; values may
 * be quoted).
 * @param {string} key
 */
export function parseMetricKey(key) {
  const open = key.indexOf('{');
  if (open === -1) return { metric: key.trim(), tags: {} };
  if (!key.endsWith('}')) throw new Error(`missing ending bracket, sub-metric format needs to be 'metric{key:value}'`);
  /** @type {Record<string, string>} */
  const tags = {};
  for (const pair of key.slice(open + 1, -1).split(',')) {
    const colon = pair.indexOf(':');
    if (colon === -1) throw new Error(`sub-metric "${key}": "${pair}" is not key:value`);
    tags[pair.slice(0, colon).trim()] = pair
      .slice(colon + 1)
      .trim()
      .replace(/^["']|["']$/g, '');
  }
  return { metric: key.slice(0, open).trim(), tags };
}

const EXPRESSION =
  /^\s*(count|rate|value|avg|min|max|med|p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;
const METHODS = { counter: ['count', 'rate'], gauge: ['value'], rate: ['rate'], trend: ['avg', 'min', 'max', 'med', 'p'] };
const COMPARE = {
  '<': (/** @type {number} */ a, /** @type {number} */ b) => a < b,
  '<=': (/** @type {number} */ a, /** @type {number} */ b) => a <= b,
  '>': (/** @type {number} */ a, /** @type {number} */ b) => a > b,
  '>=': (/** @type {number} */ a, /** @type {number} */ b) => a >= b,
  '==': (/** @type {number} */ a, /** @type {number} */ b) => a === b,
  '===': (/** @type {number} */ a, /** @type {number} */ b) => a === b,
  '!=': (/** @type {number} */ a, /** @type {number} */ b) => a !== b,
};

/** The aggregation an expression names, from `aggregate`'s result. */
function aggregationValue(
  /** @type {Record<string, number | undefined>} */ values,
  /** @type {string} */ method,
  /** @type {number[]} */ raw,
) {
  if (!method.startsWith('p(')) return values[method] ?? 0;
  const fraction = Number(method.slice(2, -1)) / 100;
  return percentile(
    [...raw].sort((a, b) => a - b),
    fraction,
  );
}

/** Every VU's samples, aggregated at the end. */
export class MetricStore {
  /** @type {Map<string, MetricKind>} */
  kinds = new Map(Object.entries(BUILTIN_METRICS));
  /** @type {Map<string, Sample[]>} */
  samples = new Map();

  /** @param {Record<string, MetricKind>} declared the script's custom metrics */
  declare(declared) {
    for (const [name, kind] of Object.entries(declared)) this.kinds.set(name, kind);
  }

  /** @param {Sample[]} samples */
  add(samples) {
    for (const sample of samples) {
      const list = this.samples.get(sample.metric);
      if (list === undefined) this.samples.set(sample.metric, [sample]);
      else list.push(sample);
    }
  }

  /** The values of `metric` whose samples carry every tag of `tags`. */
  values(/** @type {string} */ metric, /** @type {Record<string, string>} */ tags = {}) {
    const wanted = Object.entries(tags);
    return (this.samples.get(metric) ?? []).filter((s) => wanted.every(([k, v]) => s.tags[k] === v)).map((s) => s.value);
  }

  /**
   * Each metric with samples or a threshold: its kind, aggregations and, for Counters and Rates,
   * the same per value of each tag (e.g. `ws_session_errors` by `reason`).
   * @param {number} durationSeconds
   */
  summary(durationSeconds) {
    /** @type {Record<string, object>} */
    const out = {};
    for (const [name, samples] of this.samples) {
      const kind = this.kinds.get(name) ?? { type: 'trend', isTime: false };
      /** @type {Record<string, Record<string, object>>} */
      const byTag = {};
      if (kind.type === 'counter' || kind.type === 'rate') {
        /** @type {Map<string, Map<string, number[]>>} */
        const groups = new Map();
        for (const sample of samples) {
          for (const [tag, value] of Object.entries(sample.tags)) {
            if (UNLISTED_TAGS.has(tag)) continue;
            const perValue = groups.get(tag) ?? new Map();
            groups.set(tag, perValue);
            const list = perValue.get(value);
            if (list === undefined) perValue.set(value, [sample.value]);
            else list.push(sample.value);
          }
        }
        for (const [tag, perValue] of groups) {
          byTag[tag] = Object.fromEntries(
            [...perValue].map(([value, values]) => [value, aggregate(kind.type, values, durationSeconds)]),
          );
        }
      }
      out[name] = {
        ...kind,
        values: aggregate(
          kind.type,
          samples.map((s) => s.value),
          durationSeconds,
        ),
        byTag,
      };
    }
    return out;
  }

  /**
   * `options.thresholds` evaluated: one result per expression, `ok` false when it fails, `error`
   * when k6 would refuse it (unknown metric, bad expression, aggregation not of the type).
   * @param {Record<string, Array<string | { threshold: string }>>} thresholds
   * @param {number} durationSeconds
   */
  evaluate(thresholds, durationSeconds) {
    const results = [];
    for (const [key, entries] of Object.entries(thresholds ?? {})) {
      for (const entry of entries) {
        const expression = typeof entry === 'string' ? entry : entry.threshold;
        try {
          const { metric, tags } = parseMetricKey(key);
          const kind = this.kinds.get(metric);
          if (kind === undefined)
            throw new Error(`metric '${metric}' does not exist in the script (or is not recorded by this runner)`);
          const parsed = EXPRESSION.exec(expression);
          if (parsed === null) throw new Error(`"${expression}" is not an aggregation, an operator and a number`);
          const method = /** @type {string} */ (parsed[1]).replace(/\s+/g, '');
          const operator = /** @type {keyof typeof COMPARE} */ (parsed[2]);
          if (!METHODS[kind.type].includes(method.startsWith('p(') ? 'p' : method)) {
            throw new Error(`the aggregation "${method}" is not valid for the ${kind.type} metric ${metric}`);
          }
          const raw = this.values(metric, tags);
          const actual = aggregationValue(aggregate(kind.type, raw, durationSeconds), method, raw);
          results.push({
            metric: key,
            expression,
            ok: COMPARE[operator](actual, Number(parsed[3])),
            actual,
            samples: raw.length,
          });
        } catch (error) {
          results.push({ metric: key, expression, ok: false, error: error instanceof Error ? error.message : String(error) });
        }
      }
    }
    return results;
  }
}
