import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import type { DemoLogin } from './seed/index.js';

/**
 * The demo login survives restarts in DATA_DIR, so every `npm start` can print it, not only
 * the first one that seeded it. It is printed only while its account still exists.
 */
const FILE_NAME = 'demo-login.json';

export function rememberDemoLogin(dataDir: string, login: DemoLogin): void {
  writeFileSync(join(dataDir, FILE_NAME), `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
}

export async function recallDemoLogin(dataDir: string, db: Kysely<object>): Promise<DemoLogin | null> {
  const login = readLogin(join(dataDir, FILE_NAME));
  if (login === null) return null;
  const { rows } = await sql<{ found: boolean }>`
    select exists (select 1 from users.users where email = ${login.email}) as found`.execute(db);
  return rows[0]?.found === true ? login : null;
}

function readLogin(path: string): DemoLogin | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // Missing (no demo seeded here) or unreadable: there is simply no demo login to print.
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { email, password, username } = parsed as Record<string, unknown>;
  return typeof email === 'string' && typeof password === 'string' && typeof username === 'string'
    ? { email, password, username }
    : null;
}
