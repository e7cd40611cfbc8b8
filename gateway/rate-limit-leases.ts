import { RateLimiterRes } from 'rate-limiter-flexible';

/** What the rate-limit plugin needs of a limiter. */
export interface PointConsumer {
  /** Resolves when `points` are allowed now; rejects with a RateLimiterRes when they are not. */
  consume(key: string, points: number): Promise<unknown>;
}

/**
 * What the leases need of the shared limiter (rate-limiter-flexible's RateLimiterRedis): a
 * consume that adds its points to the window's counter atomically, allowed or not, and
 * answers the counter after the addition (`consumedPoints`) on both outcomes.
 */
export interface SharedLimiter {
  /** The window's limit. */
  readonly points: number;
  consume(key: string, points: number): Promise<RateLimiterRes>;
}

/** Keys with a lease at most; beyond it, idle keys whose window ended are swept. */
const MAX_LEASES = 50_000;

/** One consume waiting for points of its key. */
interface Waiter {
  readonly points: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** A key's lease: points consumed in the shared limiter and not yet handed out. */
interface Lease {
  points: number;
  /** When the shared window ends; leased points left then are dropped. */
  expiresAt: number;
  /** The shared limiter's points left after this instance's last request, in this window. */
  remaining: number;
  /** Set while a request to the shared limiter is in flight: later consumes queue here. */
  queue: Waiter[] | undefined;
}

/**
 * Takes a viewer's points from the shared limiter (Redis) a few at a time and hands them out
 * from process memory, so most operations cost no Redis round trip: with the default 100 per
 * minute and leases of 5, one call in five. Calling Redis for every operation was 6 % of the
 * gateway's CPU on uncached queries and 10 % on cache hits.
 *
 * Exact in one instance, also under concurrency: a key has at most one request to the shared
 * limiter in flight; consumes arriving meanwhile wait for it, and the next request asks for
 * all of them at once (at least a lease), so a burst costs two round trips. The shared counter
 * is incremented atomically, so each request owns the span of the counter it added
 * (consumedPoints − asked, consumedPoints]: the part of that span within the limit is granted
 * even when the request as a whole is refused, and nothing is ever given back, so every point
 * handed out is one of the window's first `points` and each belongs to exactly one request.
 *
 * Across instances the limit is never exceeded either; the price is the other way: points an
 * instance leased and did not use before the window ends count as used, so a client spread
 * over N gateway instances may be refused up to N × (lease − 1) operations early. Once fewer
 * than a lease were left after an instance's last request, it asks only for what its waiting
 * consumes need, which keeps that loss small near the limit.
 */
export class LeasedRateLimiter implements PointConsumer {
  readonly #limiter: SharedLimiter;
  readonly #leaseSize: number;
  readonly #leases = new Map<string, Lease>();

  constructor(limiter: SharedLimiter, leaseSize: number) {
    this.#limiter = limiter;
    this.#leaseSize = Math.max(1, Math.floor(leaseSize));
  }

  /** Leases of a twentieth of the limit, at most 25 points, at least 1 (no leasing for small limits). */
  static leaseSizeFor(points: number): number {
    return Math.max(1, Math.min(25, Math.floor(points / 20)));
  }

  consume(key: string, points: number): Promise<void> {
    const lease = this.#leaseOf(key);
    if (lease.queue === undefined && lease.points >= points) {
      lease.points -= points;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = { points, resolve, reject };
      if (lease.queue !== undefined) lease.queue.push(waiter);
      else void this.#request(key, lease, [waiter]);
    });
  }

  /** The key's lease, emptied when its window has ended (and no request is in flight). */
  #leaseOf(key: string): Lease {
    const now = Date.now();
    let lease = this.#leases.get(key);
    if (lease === undefined) {
      lease = { points: 0, expiresAt: 0, remaining: Number.POSITIVE_INFINITY, queue: undefined };
      this.#leases.set(key, lease);
      if (this.#leases.size > MAX_LEASES) this.#sweep(now);
    } else if (lease.expiresAt <= now && lease.queue === undefined) {
      lease.points = 0;
      lease.remaining = Number.POSITIVE_INFINITY;
    }
    return lease;
  }

  /** Asks the shared limiter for what `batch` needs, hands it out in order, then serves whoever queued meanwhile. */
  async #request(key: string, lease: Lease, batch: Waiter[]): Promise<void> {
    lease.queue = [];
    const needed = batch.reduce((sum, waiter) => sum + waiter.points, 0) - lease.points;
    const asked = lease.remaining < this.#leaseSize ? needed : Math.max(needed, this.#leaseSize);
    let granted: number;
    let answer: RateLimiterRes;
    try {
      answer = await this.#limiter.consume(key, asked);
      granted = asked;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) {
        // The shared limiter failed (Redis down): the plugin decides; the queue asks again.
        for (const waiter of batch) waiter.reject(error);
        this.#next(key, lease);
        return;
      }
      // Refused as a whole, but the part of this request's span within the limit is ours.
      answer = error;
      granted = Math.min(asked, Math.max(0, this.#limiter.points - (error.consumedPoints - asked)));
    }
    // Points left from before are the batch's even if the window ended meanwhile: they were counted in it.
    lease.points += granted;
    lease.expiresAt = Date.now() + answer.msBeforeNext;
    lease.remaining = this.#limiter.points - answer.consumedPoints;
    for (const waiter of batch) {
      if (lease.points >= waiter.points) {
        lease.points -= waiter.points;
        waiter.resolve();
      } else {
        waiter.reject(answer);
      }
    }
    this.#next(key, lease);
  }

  /** Serves the consumes that queued during a request from what is left, and asks for the rest. */
  #next(key: string, lease: Lease): void {
    const queued = lease.queue ?? [];
    lease.queue = undefined;
    while (queued.length > 0 && lease.points >= (queued[0] as Waiter).points) {
      const waiter = queued.shift() as Waiter;
      lease.points -= waiter.points;
      waiter.resolve();
    }
    if (queued.length > 0) void this.#request(key, lease, queued);
  }

  #sweep(now: number): void {
    for (const [key, lease] of this.#leases) if (lease.expiresAt <= now && lease.queue === undefined) this.#leases.delete(key);
  }
}
