import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { LeasedRateLimiter, type SharedLimiter } from '../../gateway/rate-limit-leases.js';

/** Counts the calls that reach the shared limiter (each one a Redis round trip in production). */
function counted(limiter: RateLimiterAbstract): { limiter: RateLimiterAbstract; calls: () => number } {
  let calls = 0;
  const consume = limiter.consume.bind(limiter);
  limiter.consume = (key, points) => {
    calls += 1;
    return consume(key, points);
  };
  return { limiter, calls: () => calls };
}

/** Consumes one point `times` times in a row; how many were allowed before the first refusal. */
async function allowedOf(
  leased: LeasedRateLimiter,
  key: string,
  times: number,
): Promise<{ allowed: number; refusal?: RateLimiterRes }> {
  for (let allowed = 0; allowed < times; allowed += 1) {
    try {
      await leased.consume(key, 1);
    } catch (error) {
      if (error instanceof RateLimiterRes) return { allowed, refusal: error };
      throw error;
    }
  }
  return { allowed: times };
}

/** How many of the consumes resolved and how many were refused with a RateLimiterRes. */
async function outcomesOf(consumes: Promise<unknown>[]): Promise<{ granted: number; refused: number }> {
  const settled = await Promise.allSettled(consumes);
  for (const outcome of settled) {
    if (outcome.status === 'rejected' && !(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
  }
  return {
    granted: settled.filter((outcome) => outcome.status === 'fulfilled').length,
    refused: settled.filter((outcome) => outcome.status === 'rejected').length,
  };
}

const redisUrl = process.env.REDIS_URL;
const redis = redisUrl ? new Redis(redisUrl) : undefined;
afterAll(() => redis?.disconnect());

const limiters: [string, (points: number) => RateLimiterAbstract][] = [
  ['memory', (points) => new RateLimiterMemory({ points, duration: 60 })],
  ...(redis === undefined
    ? []
    : ([
        [
          'redis',
          (points: number) =>
            new RateLimiterRedis({
              storeClient: redis,
              keyPrefix: `test-leases-${randomBytes(4).toString('hex')}`,
              points,
              duration: 60,
            }),
        ],
      ] as [string, (points: number) => RateLimiterAbstract][])),
];

describe.each(limiters)('leased rate limiter over %s', (_name, create) => {
  it('allows exactly the limit, with one shared call per lease', async () => {
    const { limiter, calls } = counted(create(100));
    const leased = new LeasedRateLimiter(limiter, LeasedRateLimiter.leaseSizeFor(100));
    const { allowed, refusal } = await allowedOf(leased, 'viewer:1', 150);
    expect(allowed).toBe(100);
    expect(refusal?.msBeforeNext).toBeGreaterThan(0);
    // 20 leases of 5 for the first 100; then none is left, and the refused attempt asks for its point alone.
    expect(calls()).toBe(21);
  });

  it('counts one by one when fewer points are left than a lease', async () => {
    const leased = new LeasedRateLimiter(create(7), 5);
    expect((await allowedOf(leased, 'viewer:2', 20)).allowed).toBe(7);
  });

  it('grants exactly the limit to 150 consumes of one key at once', async () => {
    const leased = new LeasedRateLimiter(create(100), LeasedRateLimiter.leaseSizeFor(100));
    expect(await outcomesOf(Array.from({ length: 150 }, () => leased.consume('viewer:3', 1)))).toEqual({
      granted: 100,
      refused: 50,
    });
  });

  it('keeps keys apart', async () => {
    const leased = new LeasedRateLimiter(create(10), 3);
    expect((await allowedOf(leased, 'a', 20)).allowed).toBe(10);
    expect((await allowedOf(leased, 'b', 20)).allowed).toBe(10);
  });
});

describe('lease size', () => {
  it('is a twentieth of the limit, between 1 and 25', () => {
    expect(LeasedRateLimiter.leaseSizeFor(5)).toBe(1);
    expect(LeasedRateLimiter.leaseSizeFor(100)).toBe(5);
    expect(LeasedRateLimiter.leaseSizeFor(100_000)).toBe(25);
  });
});

/**
 * A shared limiter the way RateLimiterRedis behaves: each consume adds its points to the key's
 * counter atomically when it is called, allowed or not, and answers the counter after the
 * addition. Answers are held until the test releases them, in the order it picks.
 */
class FakeSharedLimiter implements SharedLimiter {
  readonly points: number;
  /** The points each call asked for, in call order: how consumes were grouped into requests. */
  readonly asked: number[] = [];
  readonly #counters = new Map<string, number>();
  readonly #held: (() => void)[] = [];
  #failure: Error | undefined;

  constructor(points: number) {
    this.points = points;
  }

  consume(key: string, points: number): Promise<RateLimiterRes> {
    this.asked.push(points);
    const failure = this.#failure;
    const consumed = (this.#counters.get(key) ?? 0) + (failure === undefined ? points : 0);
    this.#counters.set(key, consumed);
    const answer = new RateLimiterRes(Math.max(0, this.points - consumed), 60_000, consumed, consumed === points);
    return new Promise((resolve, reject) => {
      this.#held.push(() => {
        if (failure !== undefined) reject(failure);
        else if (consumed > this.points) reject(answer);
        else resolve(answer);
      });
    });
  }

  /** Gives points back, as RateLimiterRedis's reward does (the leases never call it; an earlier version did). */
  async reward(key: string, points: number): Promise<void> {
    this.#counters.set(key, (this.#counters.get(key) ?? 0) - points);
  }

  /** The next calls fail as Redis does when it is down (not a RateLimiterRes). */
  failWith(error: Error | undefined): void {
    this.#failure = error;
  }

  /** Answers held calls, picked by `pick` (an index into the held ones), until none is held for a turn of the event loop. */
  async answerAll(pick: (held: number) => number = () => 0): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#held.length === 0) return;
      const [answer] = this.#held.splice(pick(this.#held.length), 1);
      answer?.();
    }
  }
}

/** A small seeded generator, so a failing interleaving can be replayed. */
function seeded(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % below;
  };
}

/** Consumes one point `count` times, `width` in flight at a time, over the instances in turn, while `shared` answers. */
async function inParallel(
  shared: FakeSharedLimiter,
  pick: (held: number) => number,
  instances: LeasedRateLimiter[],
  count: number,
  width: number,
): Promise<{ granted: number; refused: number }> {
  let started = 0;
  let granted = 0;
  let refused = 0;
  const worker = async () => {
    while (started < count) {
      const instance = instances[started % instances.length] as LeasedRateLimiter;
      started += 1;
      try {
        await instance.consume('viewer:1', 1);
        granted += 1;
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        refused += 1;
      }
    }
  };
  let done = false;
  const workers = Promise.all(Array.from({ length: width }, worker)).finally(() => {
    done = true;
  });
  while (!done) await shared.answerAll(pick);
  await workers;
  return { granted, refused };
}

describe('leased rate limiter under concurrency', () => {
  it('has one request in flight per key; consumes that arrive meanwhile are asked for together', async () => {
    const shared = new FakeSharedLimiter(100);
    const leased = new LeasedRateLimiter(shared, 5);
    const outcomes = outcomesOf(Array.from({ length: 150 }, () => leased.consume('viewer:1', 1)));
    await shared.answerAll();
    expect(await outcomes).toEqual({ granted: 100, refused: 50 });
    // A lease of 5 for the first; the 149 that waited need 145 more: granted 95 of them, the window's last.
    expect(shared.asked).toEqual([5, 145]);
  });

  it.each([10, 50])(
    'grants exactly the limit to 150 consumes sent %i wide, whatever order the answers come in',
    async (width) => {
      for (let seed = 1; seed <= 20; seed++) {
        const shared = new FakeSharedLimiter(100);
        const leased = new LeasedRateLimiter(shared, 5);
        const random = seeded(seed);
        expect(await inParallel(shared, random, [leased], 150, width)).toEqual({ granted: 100, refused: 50 });
      }
    },
  );

  it('never grants more than the limit to a key spread over instances, and at most a lease less one fewer per instance', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = seeded(seed);
      const shared = new FakeSharedLimiter(100);
      const instances = Array.from({ length: 1 + (seed % 3) }, () => new LeasedRateLimiter(shared, 5));
      const { granted, refused } = await inParallel(shared, random, instances, 150, 1 + random(60));
      expect(granted + refused).toBe(150);
      expect(granted).toBeLessThanOrEqual(100);
      expect(granted).toBeGreaterThanOrEqual(100 - instances.length * 4);
    }
  });

  it('never grants more than the limit to consumes of several points each', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seeded(seed);
      const shared = new FakeSharedLimiter(100);
      const instances = [new LeasedRateLimiter(shared, 5), new LeasedRateLimiter(shared, 5)];
      const sizes = Array.from({ length: 80 }, () => 1 + random(4));
      const settling = Promise.allSettled(
        sizes.map((points, i) => (instances[i % 2] as LeasedRateLimiter).consume('viewer:1', points)),
      );
      await shared.answerAll(random);
      const settled = await settling;
      const grantedPoints = sizes.reduce((sum, points, i) => sum + (settled[i]?.status === 'fulfilled' ? points : 0), 0);
      expect(grantedPoints).toBeLessThanOrEqual(100);
    }
  });

  it('rejects the waiting consumes with the shared limiter failure, then asks again', async () => {
    const shared = new FakeSharedLimiter(100);
    const leased = new LeasedRateLimiter(shared, 5);
    shared.failWith(new Error('Redis connection is not ready'));
    const failed = Promise.allSettled([leased.consume('viewer:1', 1), leased.consume('viewer:1', 1)]);
    await shared.answerAll();
    expect((await failed).map((outcome) => outcome.status === 'rejected' && (outcome.reason as Error).message)).toEqual([
      'Redis connection is not ready',
      'Redis connection is not ready',
    ]);
    shared.failWith(undefined);
    const outcomes = outcomesOf(Array.from({ length: 120 }, () => leased.consume('viewer:1', 1)));
    await shared.answerAll();
    expect(await outcomes).toEqual({ granted: 100, refused: 20 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops what is left of a lease when its window ends', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const shared = new FakeSharedLimiter(100);
    const leased = new LeasedRateLimiter(shared, 5);
    const first = leased.consume('viewer:1', 1);
    await shared.answerAll();
    await first;
    vi.setSystemTime(Date.now() + 60_001);
    const second = leased.consume('viewer:1', 1);
    await shared.answerAll();
    await second;
    // The 4 points left from the first window were not handed out in the next one.
    expect(shared.asked).toEqual([5, 5]);
  });
});
