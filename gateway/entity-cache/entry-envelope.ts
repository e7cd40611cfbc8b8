/**
 * An entry as stored: `<expiry in ms since the epoch>\n<JSON>`. The expiry travels with it so
 * that the in-process layer (local-layer.ts) keeps an entry read from Redis no longer than Redis
 * does, without asking Redis for its TTL.
 */
export function encodeEntry(json: string, expiresAt: number): string {
  return `${Math.round(expiresAt)}\n${json}`;
}

/** The entry's value, or undefined when it expired or is not an entry. */
export function decodeEntry(stored: string, now = Date.now()): unknown {
  const newline = stored.indexOf('\n');
  if (newline < 0 || Number(stored.slice(0, newline)) <= now) return undefined;
  return JSON.parse(stored.slice(newline + 1)) as unknown;
}

/** When the entry expires (ms since the epoch); 0 when it is not an entry. */
export function entryExpiry(stored: string): number {
  const newline = stored.indexOf('\n');
  const expiry = newline < 0 ? 0 : Number(stored.slice(0, newline));
  return Number.isFinite(expiry) ? expiry : 0;
}
