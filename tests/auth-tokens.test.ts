import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/kernel/config.js';
import { createTokenService } from '../lib/kernel/tokens.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { TEST_JWT_SECRET, usePlatform } from './support/platform.js';
import { signedFor } from './support/signed-subgraph.js';

const platform = usePlatform();
let url: string;
let ada: TestUser;

beforeAll(async () => {
  url = platform.gatewayUrl;
  ada = await registerUser(url);
});

function signWith(secret: string, claims: { sub: string; aud?: string; iss?: string; exp?: number }) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setAudience(claims.aud ?? 'chitlaq-graph')
    .setIssuer(claims.iss ?? 'chitlaq')
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(secret));
}

describe('tokens at the gateway', () => {
  it('accepts a valid token', async () => {
    const token = await signWith(TEST_JWT_SECRET, { sub: ada.id });
    const response = await graphql(url, '{ me { id } }', {}, { token });
    expect(response.data.me).toEqual({ id: ada.id });
  });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET],
    ['for another audience', { aud: 'someone-else' }, TEST_JWT_SECRET],
    ['from another issuer', { iss: 'evil' }, TEST_JWT_SECRET],
    ['signed with another secret', {}, 'a-different-secret-that-is-also-long-enough-000'],
  ])('answers 401 UNAUTHENTICATED for a token %s', async (_label, claims, secret) => {
    const token = await signWith(secret, { sub: ada.id, ...claims });
    const response = await graphql(url, '{ me { id } }', {}, { token });
    expect(response.status).toBe(401);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps refusing a token once it expires, after accepting it before', async () => {
    const tokens = createTokenService(platform.config.auth);
    const token = await signWith(TEST_JWT_SECRET, { sub: ada.id, exp: Math.floor(Date.now() / 1000) + 2 });
    // Verified once, then remembered: the second answer is the same viewer.
    expect(await tokens.verify(token)).toMatchObject({ id: ada.id });
    expect(await tokens.verify(token)).toMatchObject({ id: ada.id });
    // The expiry is what is tested: only time makes the token's 2 s run out.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await expect(tokens.verify(token)).rejects.toThrow('Token expired');
    await expect(tokens.verify(token)).rejects.toThrow('Token expired');
  });

  it('rejects a malformed Authorization header', async () => {
    const response = await graphql(url, '{ me { id } }', {}, { headers: { authorization: 'Basic abc' } });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('identity at the subgraph', () => {
  it('verifies the forwarded token itself, so a forged identity is refused', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: ada.id, aud: 'chitlaq-graph', iss: 'chitlaq' })).toString('base64url')}.`;
    // Signed as the gateway signs: what is checked here is the token, not the caller.
    const headers = signedFor(platform, '{ me { id email } }');
    const forged = await graphql(platform.subgraphs.users.url, '{ me { id email } }', {}, { token: unsigned, headers });
    expect(errorCodes(forged)).toEqual(['UNAUTHENTICATED']);
    const spoofedHeader = await graphql(
      platform.subgraphs.users.url,
      '{ me { id } }',
      {},
      { headers: { 'x-user-id': ada.id, ...signedFor(platform, '{ me { id } }') } },
    );
    expect(spoofedHeader.data.me).toBeNull();
  });

  it('sees the viewer the gateway forwards', async () => {
    const direct = await graphql(
      platform.subgraphs.users.url,
      '{ me { id email } }',
      {},
      { token: ada.token, headers: signedFor(platform, '{ me { id email } }') },
    );
    expect(direct.data.me).toEqual({ id: ada.id, email: ada.email });
  });
});

describe('EdDSA keys', () => {
  it('signs with the private key and verifies with the public key only', async () => {
    // Subjects are account ids, which are uuids: any other subject is refused (tests/missing-accounts.test.ts).
    const USER_ID = '6f1c2a4e-8b9d-4c3e-a1f2-0123456789ab';
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/unused' };
    const signer = createTokenService(
      loadConfig({
        ...base,
        JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      }).auth,
    );
    const verifier = createTokenService(
      loadConfig({ ...base, JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString() }).auth,
    );
    const token = await signer.sign(USER_ID);
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())).toMatchObject({ alg: 'EdDSA' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: USER_ID });
    await expect(verifier.sign('user-2')).rejects.toThrow(/JWT_PRIVATE_KEY/);
    const hs = createTokenService(loadConfig({ ...base, JWT_SECRET: TEST_JWT_SECRET }).auth);
    await expect(hs.verify(token)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});
