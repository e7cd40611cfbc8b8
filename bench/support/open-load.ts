import { Pool } from 'undici';
import { ErrorTally, type LoadRequest, postOperation } from './load.js';

/**
 * One step of a session: the request to send, built from the `data` of the steps before it
 * (null for a step that failed or was skipped), or null to skip it (no next page, no token).
 */
export type SessionStep = (answers: readonly unknown[]) => LoadRequest | null;

/**
 * A user's visit, like one iteration of a k6 script: its steps one after another, each sent
 * when the answer before it is in (a client reads the feed before it opens a post).
 */
export interface LoadSession {
  readonly steps: readonly SessionStep[];
}

/** What arrives: one request, or a session of dependent requests. */
export type Arrival = LoadRequest | LoadSession;

/** What one open-model run measured. Latencies in milliseconds, from each request's scheduled time. */
export interface OpenLoadResult {
  /** The arrival rate asked for, arrivals (requests or sessions) per second. */
  readonly rate: number;
  readonly seconds: number;
  /** Requests answered (or failed) before the end of the run plus its drain. */
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencies: number[];
  /** Latencies of the requests that carried a `label`, by label. */
  readonly latenciesByLabel: Record<string, number[]>;
  readonly errors: number;
  readonly errorRate: number;
  /** Arrivals not sent because `maxInFlight` were already in progress: counted as failures, not hidden. */
  readonly dropped: number;
  readonly errorSamples: string[];
}

export interface OpenLoadOptions {
  readonly url: string;
  /** Arrivals per second, evenly spaced (an open model: arrivals do not wait for answers). */
  readonly rate: number;
  readonly seconds: number;
  /** Arrivals in progress at most (the users of the load model); an arrival beyond it is dropped. */
  readonly maxInFlight: number;
  readonly next: (n: number) => Arrival;
  /**
   * An answer later than this (ms) is a failure (default 30 s), so a run over capacity ends; a
   * session's steps not sent by the end of the run plus this long are not sent (like k6's
   * gracefulStop), so the drain lasts at most about twice this.
   */
  readonly timeoutMs?: number;
}

/** The `data` of a clean answer's body, or null. */
function dataOf(body: string | undefined): unknown {
  if (body === undefined) return null;
  return (JSON.parse(body) as { data?: unknown }).data ?? null;
}

/**
 * An open-model HTTP load: arrival n is due at start + n / rate whatever the answers before it
 * did, as real users arrive (k6's constant-arrival-rate executor), and the latency of its first
 * request counts from that due time, so a server that falls behind shows its queueing in the
 * percentiles (no coordinated omission), unlike a closed loop. A session's later steps follow
 * their predecessors' answers; their latency counts from when each was sent.
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
  const latenciesByLabel: Record<string, number[]> = {};
  const errors = new ErrorTally();
  const inFlight = new Set<Promise<void>>();
  let dropped = 0;
  const post = async (request: LoadRequest, since: number): Promise<unknown> => {
    const outcome = await postOperation(pool, url.pathname, request, errors);
    const latency = performance.now() - since;
    latencies.push(latency);
    if (request.label !== undefined) {
      latenciesByLabel[request.label] ??= [];
      latenciesByLabel[request.label]?.push(latency);
    }
    return dataOf(outcome.body);
  };
  const started = performance.now();
  const drainDeadline = started + options.seconds * 1000 + timeout;
  const send = async (n: number, dueAt: number) => {
    const arrival = options.next(n);
    if (!('steps' in arrival)) {
      await post(arrival, dueAt);
      return;
    }
    const answers: unknown[] = [];
    let since = dueAt;
    for (const step of arrival.steps) {
      if (performance.now() > drainDeadline) break;
      const request = step(answers);
      if (request === null) {
        answers.push(null);
        continue;
      }
      answers.push(await post(request, since));
      since = performance.now();
    }
  };
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
    latenciesByLabel,
    errors: errors.count,
    errorRate: latencies.length + dropped === 0 ? 0 : failed / (latencies.length + dropped),
    dropped,
    errorSamples: errors.samples,
  };
}
