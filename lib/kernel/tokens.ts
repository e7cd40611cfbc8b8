import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Config } from './config.js';
import { UnauthenticatedError } from './errors.js';
import { isUuid } from './ids.js';

/** Who is making a request: the subject of a verified token. */
export interface Viewer {
  readonly id: string;
  /** The raw bearer token, forwarded by the gateway to subgraphs, which verify it again. */
  readonly token: string;
  /** When the token expires (ms since the epoch): long-lived connections close then. */
  readonly expiresAt: number;
  /**
   * When the token was issued (ms since the epoch; 0 without an `iat` claim): a viewer who has
   * just signed in or registered reads from the primary (lib/service/read-routing.ts).
   */
  readonly issuedAt: number;
  /**
   * The token's OAuth scopes (its `scope` claim), which `@requiresScopes` fields need. Empty for
   * our own tokens, which carry none, and when the claim is missing or malformed.
   */
  readonly scopes: ReadonlySet<string>;
}

export interface TokenService {
  /** Signs an access token for a user. Only processes that hold the private key (or secret) can. */
  sign(userId: string): Promise<string>;
  /** Verifies signature, expiry, issuer and audience. Throws UNAUTHENTICATED on any failure. */
  verify(token: string): Promise<Viewer>;
  /** Reads `Authorization: Bearer <token>`; null when absent, UNAUTHENTICATED when present but invalid. */
  viewerFromHeader(header: string | null | undefined): Promise<Viewer | null>;
}

/**
 * The scopes a `scope` claim grants: OAuth's space-separated string (RFC 6749 §3.3), or an
 * array of scope strings as some identity providers issue. Anything else grants none: a
 * malformed claim is not guessed at.
 */
function scopesOf(claim: unknown): ReadonlySet<string> {
  if (typeof claim === 'string') return new Set(claim.split(' ').filter((scope) => scope !== ''));
  if (Array.isArray(claim) && claim.every((scope) => typeof scope === 'string' && /^\S+$/.test(scope))) {
    return new Set<string>(claim);
  }
  return new Set();
}

/** Verified tokens remembered per process (a few hundred bytes each). */
const VERIFIED_TOKENS_KEPT = 10_000;

export function createTokenService(auth: Config['auth']): TokenService {
  const { key, issuer, audience, ttlSeconds } = auth;
  let signingKey: KeyObject | undefined;
  let verifyingKey: KeyObject;
  if (key.algorithm === 'HS256') {
    signingKey = createSecretKey(Buffer.from(key.secret, 'utf8'));
    verifyingKey = signingKey;
  } else {
    signingKey = key.privateKey === undefined ? undefined : createPrivateKey(key.privateKey);
    verifyingKey = createPublicKey(key.publicKey);
  }
  const algorithms = [key.algorithm];
  // A request is verified by the gateway and again by every subgraph it reaches, and an app
  // sends the same token for hours: a token string verified once is the same proof until it
  // expires. Only successes are kept, and expiry is checked on every use.
  const verified = new LRUCache<string, Viewer>({ max: VERIFIED_TOKENS_KEPT });

  async function verify(token: string): Promise<Viewer> {
    const known = verified.get(token);
    if (known !== undefined) {
      if (Date.now() < known.expiresAt) return known;
      verified.delete(token);
    }
    const viewer = await verifyAfresh(token);
    verified.set(token, viewer);
    return viewer;
  }

  async function verifyAfresh(token: string): Promise<Viewer> {
    try {
      const { payload } = await jwtVerify(token, verifyingKey, { issuer, audience, algorithms, requiredClaims: ['sub', 'exp'] });
      // Every account id is a uuid: any other subject was not issued here, however it is signed.
      if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) throw new UnauthenticatedError('Invalid token.');
      return {
        id: payload.sub,
        token,
        expiresAt: (payload.exp as number) * 1000,
        issuedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : 0,
        scopes: scopesOf(payload.scope),
      };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('Token expired: sign in again.');
      if (error instanceof UnauthenticatedError) throw error;
      throw new UnauthenticatedError('Invalid token.');
    }
  }

  return {
    async sign(userId) {
      if (signingKey === undefined) throw new Error('This process has no JWT_PRIVATE_KEY and cannot sign tokens');
      return new SignJWT({})
        .setProtectedHeader({ alg: key.algorithm, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(signingKey);
    },
    verify,
    async viewerFromHeader(header) {
      if (header === null || header === undefined || header.trim() === '') return null;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match?.[1] === undefined) throw new UnauthenticatedError('Authorization header must be "Bearer <token>".');
      return verify(match[1]);
    },
  };
}
