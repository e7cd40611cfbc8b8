import { AccountGoneError } from '../../kernel/errors.js';

/**
 * The name of the unique constraint (or unique index) that an insert or update violated, or
 * undefined for any other error. Works for pg and PGlite, which both report SQLSTATE 23505.
 */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (code !== '23505') return undefined;
  return typeof constraint === 'string' ? constraint : '';
}

/**
 * True when PostgreSQL cancelled the statement for running past `statement_timeout` (SQLSTATE
 * 57014 is also a cancel on request, pg_cancel_backend, which says so in its message).
 */
export function isStatementTimeout(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '57014' && typeof message === 'string' && message.includes('statement timeout');
}

/** True when the error is a foreign-key violation (SQLSTATE 23503): the referenced row is gone. */
export function isForeignKeyViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23503';
}

/**
 * For writes that store the viewer's id: every user id column references users.users, so a
 * write by a token whose account is gone fails on that reference, and the viewer hears
 * UNAUTHENTICATED (AccountGoneError) instead of an internal error.
 */
export async function asViewerWrite<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new AccountGoneError();
    throw error;
  }
}
