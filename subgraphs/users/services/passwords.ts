import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with the OWASP minimum (m=19 MiB, t=2, p=1), set explicitly so a library default
 * change can never weaken stored hashes. The encoded hash carries its parameters, so raising
 * them later keeps old hashes verifiable.
 */
const OWASP_ARGON2ID = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum, not importable under verbatimModuleSyntax) */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OWASP_ARGON2ID);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A hash of a random password, verified against when the email is unknown so that login
 * takes the same time whether or not the account exists.
 */
export function createDecoyHash(): Promise<string> {
  return hashPassword(`decoy-${Math.random()}-${Date.now()}`);
}
