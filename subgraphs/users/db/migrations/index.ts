import type { Migration } from 'kysely';
import * as usersAndFollows from './2026_11_25_0001_users_and_follows.js';

/** Every migration of the users schema, by name; names sort in the order they run. */
export const migrations: Record<string, Migration> = {
  '2026_11_25_0001_users_and_follows': usersAndFollows,
};
