import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Differential, startDifferential } from '../support/federation/differential.js';
import { accessControlFixture, subgraphCalls } from '../support/federation/fixtures/access-control.js';

/**
 * A refused operation never reaches a subgraph: the answers are in the differential suite
 * (fixtures/access-control.ts); here, the subgraph calls and the HTTP status.
 */
describe('@authenticated and @requiresScopes are enforced before any subgraph is asked', () => {
  let differential: Differential;
  beforeAll(async () => {
    differential = await startDifferential(accessControlFixture);
  });
  afterAll(() => differential?.stop());

  const post = async (query: string, token?: string, gateway: 'cacheOff' | 'cacheOn' = 'cacheOff') => {
    const response = await fetch(differential.gateways[gateway].url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] },
    };
  };

  it('refuses a signed-out read of a guarded field of another subgraph with 401, calling nothing', async () => {
    subgraphCalls.count = 0;
    const refused = await post('{ profile(id: "p1") { name posts { draft } } }');
    expect(refused.status).toBe(401);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(subgraphCalls.count).toBe(0);

    const allowed = await post('{ profile(id: "p1") { name posts { title } } }');
    expect(allowed.status).toBe(200);
    expect(subgraphCalls.count).toBeGreaterThan(0);
  });

  it('refuses a read without the scope as FORBIDDEN, calling nothing', async () => {
    const token = await differential.signIn('hr');
    subgraphCalls.count = 0;
    const refused = await post('{ profile(id: "p1") { salary } }', token);
    expect(refused.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(refused.body.data).toBeUndefined();
    expect(subgraphCalls.count).toBe(0);
  });

  it('is checked on every request with the response cache on: a cached answer never skips it', async () => {
    // Distinct documents per run: the cache is shared with the rest of the suite.
    const nonce = `n${Math.random().toString(36).slice(2, 10)}`;
    const guarded = `query ${nonce} { profile(id: "p1") { name posts { draft } } }`;
    const signedIn = await post(guarded, await differential.signIn(), 'cacheOn');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.errors).toBeUndefined();
    const again = await post(guarded, await differential.signIn(), 'cacheOn');
    expect(again.body).toEqual(signedIn.body);
    for (let attempt = 0; attempt < 2; attempt++) {
      const signedOut = await post(guarded, undefined, 'cacheOn');
      expect(signedOut.status).toBe(401);
      expect(signedOut.body.data).toBeUndefined();
      expect(signedOut.body.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }

    const scoped = `query ${nonce}Salary { profile(id: "p1") { salary } }`;
    const withScopes = await post(scoped, await differential.signIn('admin hr'), 'cacheOn');
    expect(withScopes.body.errors).toBeUndefined();
    for (let attempt = 0; attempt < 2; attempt++) {
      const withOne = await post(scoped, await differential.signIn('hr'), 'cacheOn');
      expect(withOne.body.data).toBeUndefined();
      expect(withOne.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    }
  });
});
