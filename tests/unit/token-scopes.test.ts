import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/kernel/config.js';
import { createTokenService } from '../../lib/kernel/tokens.js';
import { signScopedToken } from '../support/scoped-token.js';

/** The viewer's scopes come from the `scope` claim of a verified token, and from nowhere else. */

const SECRET = 'token-scopes-test-secret-that-is-long-enough-0123';
const { auth } = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/unused', JWT_SECRET: SECRET });
const tokens = createTokenService(auth);

function base64url(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

async function scopesOf(scope: unknown): Promise<string[]> {
  const viewer = await tokens.verify(await signScopedToken(auth, randomUUID(), scope));
  return [...viewer.scopes].sort();
}

describe('the scope claim', () => {
  it('reads an OAuth scope string, split on spaces', async () => {
    expect(await scopesOf('posts:read  admin posts:write')).toEqual(['admin', 'posts:read', 'posts:write']);
  });

  it('reads an array of scope strings', async () => {
    expect(await scopesOf(['posts:read', 'admin'])).toEqual(['admin', 'posts:read']);
  });

  it.each([
    ['a number', 42],
    ['an object', { admin: true }],
    ['an array holding a non-string', ['admin', 7]],
    ['an array holding a string with a space', ['admin', 'posts:read posts:write']],
    ['an array holding an empty string', ['admin', '']],
  ])('is no scopes at all when it is %s', async (_label, scope) => {
    expect(await scopesOf(scope)).toEqual([]);
  });

  it('is no scopes when absent: our own tokens carry none', async () => {
    const viewer = await tokens.verify(await tokens.sign(randomUUID()));
    expect(viewer.scopes.size).toBe(0);
  });

  it('is not read from a token signed with another key', async () => {
    const other = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: '/tmp/unused',
      JWT_SECRET: 'another-secret-that-is-also-long-enough-000',
    });
    const forged = await signScopedToken(other.auth, randomUUID(), 'admin');
    // A good token, for another platform: its signature is what this one refuses.
    expect([...(await createTokenService(other.auth).verify(forged)).scopes]).toEqual(['admin']);
    await expect(tokens.verify(forged)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('is not read from an unsigned token', async () => {
    const claims = {
      sub: randomUUID(),
      aud: auth.audience,
      iss: auth.issuer,
      exp: Math.floor(Date.now() / 1000) + 600,
      scope: 'admin',
    };
    const unsigned = `${base64url({ alg: 'none' })}.${base64url(claims)}.`;
    await expect(tokens.viewerFromHeader(`Bearer ${unsigned}`)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('is read through the Authorization header as through verify', async () => {
    const token = await signScopedToken(auth, randomUUID(), 'posts:read');
    const viewer = await tokens.viewerFromHeader(`Bearer ${token}`);
    expect([...(viewer?.scopes ?? [])]).toEqual(['posts:read']);
  });
});

// A token signed by hand (not through the helper) pins the claim's wire name.
it('is the claim named `scope`', async () => {
  const token = await new SignJWT({ scope: 'a b', scopes: 'c' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(randomUUID())
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
  expect([...(await tokens.verify(token)).scopes].sort()).toEqual(['a', 'b']);
});
