import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { usePlatform } from './support/platform.js';

/** NODE_ENV=production with nothing else turned on or off: what a scanner sees. */
const platform = usePlatform({
  NODE_ENV: 'production',
  SUBGRAPH_SIGNING_SECRET: 'subgraph-signing-secret-of-the-production-platform',
  RATE_LIMIT_PER_MINUTE: '5',
  // A fresh client address per run: with Redis, counters outlive the platform.
  TRUST_PROXY: 'true',
});

const codes = (result: { errors?: { extensions?: { code?: string } }[] }) => (result.errors ?? []).map((e) => e.extensions?.code);

describe('production defaults', () => {
  it('counts each operation of a batch against the rate limit, as if sent alone', async () => {
    const response = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-forwarded-for': `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`,
      },
      body: JSON.stringify(Array.from({ length: 10 }, () => ({ query: '{ __typename }' }))),
    });
    const results = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] }[];
    expect(results).toHaveLength(10);
    expect(results.filter((result) => result.data !== undefined && result.errors === undefined)).toHaveLength(5);
    expect(results.filter((result) => codes(result).join() === 'RATE_LIMITED')).toHaveLength(5);
  });
});
