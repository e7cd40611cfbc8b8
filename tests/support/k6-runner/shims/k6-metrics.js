/**
 * Shim of `k6/metrics`: Counter, Gauge, Rate and Trend. As in k6, a metric is declared in the
 * init context and added to outside it; `add(value, tags)` takes a number or a boolean (Rate:
 * non-zero is true). Samples go to the controller (main.js), which aggregates them across VUs
 * and evaluates `options.thresholds` on them (metrics-summary.js).
 */
import { addSample, declaredMetrics, requireStage, VU_STAGES } from '../vu-runtime.js';

const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{1,127}$/;

class Metric {
  /** @type {string} */
  name;

  /**
   * @param {string} name
   * @param {import('../vu-runtime.js').MetricType} type
   * @param {boolean} isTime
   */
  constructor(name, type, isTime) {
    requireStage(['init'], 'metrics must be declared in the init context');
    if (!METRIC_NAME.test(String(name))) throw new Error(`invalid metric name "${name}"`);
    const known = declaredMetrics.get(name);
    if (known !== undefined && known.type !== type)
      throw new Error(`metric "${name}" already exists with the type ${known.type}`);
    declaredMetrics.set(name, { type, isTime: Boolean(isTime) });
    this.name = name;
  }

  /**
   * @param {number | boolean} value
   * @param {Record<string, unknown>} [tags]
   */
  add(value, tags) {
    requireStage(VU_STAGES, 'using metrics in the init context is not supported');
    const number = Number(value); // true → 1, false → 0
    if (Number.isNaN(number)) throw new Error(`'${value}' is an invalid value for metric '${this.name}'`);
    addSample(this.name, number, tags);
  }
}

export class Counter extends Metric {
  constructor(/** @type {string} */ name, isTime = false) {
    super(name, 'counter', isTime);
  }
}

export class Gauge extends Metric {
  constructor(/** @type {string} */ name, isTime = false) {
    super(name, 'gauge', isTime);
  }
}

export class Rate extends Metric {
  constructor(/** @type {string} */ name) {
    super(name, 'rate', false);
  }

  /**
   * @param {number | boolean} value
   * @param {Record<string, unknown>} [tags]
   */
  add(value, tags) {
    super.add(value ? 1 : 0, tags);
  }
}

export class Trend extends Metric {
  constructor(/** @type {string} */ name, isTime = false) {
    super(name, 'trend', isTime);
  }
}
