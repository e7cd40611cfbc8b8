import { createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Config } from '../../lib/kernel/config.js';

/**
 * A token as an identity provider would issue it to `userId`, with `scope` as its `scope` claim
 * (OAuth's space-separated string, an array, or anything malformed a test needs), signed with
 * the platform's own key, issuer and audience. `sign(userId)` never puts scopes in our tokens.
 */
export function signScopedToken(auth: Config['auth'], userId: string, scope: unknown): Promise<string> {
  const { key } = auth;
  let signingKey: KeyObject;
  if (key.algorithm === 'HS256') {
    signingKey = createSecretKey(Buffer.from(key.secret, 'utf8'));
  } else {
    if (key.privateKey === undefined) throw new Error('signScopedToken needs a platform that holds JWT_PRIVATE_KEY');
    signingKey = createPrivateKey(key.privateKey);
  }
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: key.algorithm, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt()
    .setExpirationTime(`${auth.ttlSeconds}s`)
    .sign(signingKey);
}
