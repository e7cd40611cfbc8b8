import { sql } from 'kysely';
import type { Db } from './insert.js';

/** The few reads the seed needs: all set-based, never one SELECT per seeded row. */

const LOOKUP_BATCH = 10_000;

/**
 * Which of the candidate (username, email) pairs collide with an account already in the
 * database, by username or by e-mail; returns their usernames. One statement per 10 000
 * candidates, each an index probe on users_username_key and users_email_key.
 */
export async function findTakenUsernames(db: Db, usernames: readonly string[], emails: readonly string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (let start = 0; start < usernames.length; start += LOOKUP_BATCH) {
    const end = start + LOOKUP_BATCH;
    const { rows } = await sql<{ username: string }>`
      select c.username
        from unnest(${usernames.slice(start, end)}::text[], ${emails.slice(start, end)}::text[]) as c (username, email)
       where exists (select 1 from users.users u where u.username = c.username)
          or exists (select 1 from users.users u where u.email = c.email)`.execute(db);
    for (const row of rows) taken.add(row.username);
  }
  return taken;
}

export async function hasUsers(db: Db): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select exists (select 1 from users.users) as found`.execute(db);
  return rows[0]?.found === true;
}

/**
 * Serializes seeding: the transaction-scoped advisory lock makes a second seed (two
 * instances starting on an empty database, say) wait for the first and then see its rows.
 */
export async function lockSeeding(db: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('chitlaq-graph:seed'))`.execute(db);
}
