import { Pool } from 'undici';
import { percentile } from './stats.js';

/** One request of a load run: a POST of a GraphQL operation. */
export interface LoadRequest {
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The operation's name, where a report breaks latencies down by operation (the open model). */
  readonly label?: string;
}

/** What `postOperation` saw: the X-Cache header, and the body of a clean answer (200, no `errors`). */
export interface PostOutcome {
  readonly cache: string | undefined;
  readonly body: string | undefined;
}

/** What one load run measured. Latencies are in milliseconds, one per completed request. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencies: number[];
  /** Responses that were not HTTP 200, or carried GraphQL `errors`, or failed on the socket. */
  readonly errors: number;
  readonly errorRate: number;
  /** Responses with an `X-Cache` header, by its value. */
  readonly cache: { readonly hits: number; readonly misses: number };
  /** A few distinct error descriptions, to print when something is wrong. */
  readonly errorSamples: string[];
}

export interface LoadOptions {
  /** http://host:port/graphql */
  readonly url: string;
  /** Concurrent connections, each sending its next request when the previous answer is in (closed loop, like k6 VUs without think time). */
  readonly connections: number;
  readonly seconds: number;
  /** Builds request n (called once per request, so every request can differ: viewer, variables). */
  readonly next: (n: number) => LoadRequest;
}

/** Errors of a run: how many, and a few distinct descriptions to print. */
export class ErrorTally {
  count = 0;
  readonly #samples = new Set<string>();

  note(description: string): void {
    this.count += 1;
    if (this.#samples.size < 5) this.#samples.add(description.slice(0, 300));
  }

  get samples(): string[] {
    return [...this.#samples];
  }
}

/**
 * POSTs `request` to `path` and reads the whole body, as a client would; a status other than 200,
 * GraphQL `errors` or a socket failure goes to `errors`.
 */
export async function postOperation(pool: Pool, path: string, request: LoadRequest, errors: ErrorTally): Promise<PostOutcome> {
  try {
    const response = await pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...request.headers },
      body: request.body,
    });
    const text = await response.body.text();
    const clean = response.statusCode === 200 && !text.includes('"errors"');
    if (response.statusCode !== 200) errors.note(`HTTP ${response.statusCode}: ${text}`);
    else if (!clean) errors.note(text);
    const cache = response.headers['x-cache'];
    return { cache: typeof cache === 'string' ? cache : undefined, body: clean ? text : undefined };
  } catch (error) {
    errors.note(error instanceof Error ? error.message : String(error));
    return { cache: undefined, body: undefined };
  }
}

/**
 * Runs a closed-loop HTTP load with undici (keep-alive, one pool of `connections` sockets) and
 * records each request's latency, its status and GraphQL errors, and its X-Cache header.
 * The body is read completely, as a client would.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  const errors = new ErrorTally();
  let hits = 0;
  let misses = 0;
  let n = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const request = options.next(n++);
      const sentAt = performance.now();
      const { cache } = await postOperation(pool, url.pathname, request, errors);
      latencies.push(performance.now() - sentAt);
      if (cache === 'HIT') hits += 1;
      else if (cache === 'MISS') misses += 1;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    latencies,
    errors: errors.count,
    errorRate: latencies.length === 0 ? 0 : errors.count / latencies.length,
    cache: { hits, misses },
    errorSamples: errors.samples,
  };
}

/** p50 / p95 / p99 of a run, in ms. */
export function latencySummary(latencies: readonly number[]): { p50: number; p95: number; p99: number } {
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) };
}

/** Percentiles 1..99.9 of `latencies`, for the report's latency charts (a short list, not the raw samples). */
export function latencyCurve(latencies: readonly number[]): [number, number][] {
  const points = [1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 97, 98, 99, 99.5, 99.9];
  const sorted = [...latencies].sort((a, b) => a - b);
  return points.map((p) => {
    const rank = Math.ceil((p / 100) * sorted.length);
    return [p, sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN];
  });
}
