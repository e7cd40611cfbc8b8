import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { afterAll, describe, expect, it } from 'vitest';
import { LeasedRateLimiter } from '../../gateway/rate-limit-leases.js';

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
    // 20 leases of 5 for the first 100; the refused attempt then asks once for a lease and once alone.
    expect(calls()).toBe(22);
  });

  it('counts one by one when fewer points are left than a lease', async () => {
    const leased = new LeasedRateLimiter(create(7), 5);
    expect((await allowedOf(leased, 'viewer:2', 20)).allowed).toBe(7);
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
