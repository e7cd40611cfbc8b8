import { Pool } from 'undici';
import { ErrorTally, type LoadRequest, postOperation } from './load.js';

/** What one open-model run measured. Latencies in milliseconds, from each request's scheduled time. */
export interface OpenLoadResult {
  /** The arrival rate asked for, requests per second. */
  readonly rate: number;
  readonly seconds: number;
  /** Requests answered (or failed) before the end of the run plus its drain. */
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencies: number[];
  readonly errors: number;
  readonly errorRate: number;
  /** Arrivals not sent because `maxInFlight` requests were already waiting: counted as failures, not hidden. */
  readonly dropped: number;
  readonly errorSamples: string[];
}

export interface OpenLoadOptions {
  readonly url: string;
  /** Arrivals per second, evenly spaced (an open model: arrivals do not wait for answers). */
  readonly rate: number;
  readonly seconds: number;
  /** Requests in flight at most (the users of the load model); an arrival beyond it is dropped. */
  readonly maxInFlight: number;
  readonly next: (n: number) => LoadRequest;
  /** An answer later than this (ms) is a failure (default 30 s), so a run over capacity ends. */
  readonly timeoutMs?: number;
}

/**
 * An open-model HTTP load: request n is due at start + n / rate whatever the answers before it
 * did, as real users arrive, and its latency counts from that due time, so a server that falls
 * behind shows its queueing in the percentiles (no coordinated omission), unlike a closed loop.
 */
export async function runOpenLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const url = new URL(options.url);
  const timeout = options.timeoutMs ?? 30_000;
  const pool = new Pool(url.origin, {
    connections: options.maxInFlight,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  const latencies: number[] = [];
  const errors = new ErrorTally();
  const inFlight = new Set<Promise<void>>();
  let dropped = 0;
  const send = async (n: number, dueAt: number) => {
    await postOperation(pool, url.pathname, options.next(n), errors);
    latencies.push(performance.now() - dueAt);
  };
  const started = performance.now();
  const total = Math.floor(options.rate * options.seconds);
  for (let n = 0; n < total; n += 1) {
    const dueAt = started + (n * 1000) / options.rate;
    const wait = dueAt - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight.size >= options.maxInFlight) {
      dropped += 1;
      continue;
    }
    const request = send(n, dueAt).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  const failed = errors.count + dropped;
  return {
    rate: options.rate,
    seconds,
    requests: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    latencies,
    errors: errors.count,
    errorRate: latencies.length + dropped === 0 ? 0 : failed / (latencies.length + dropped),
    dropped,
    errorSamples: errors.samples,
  };
}
