import { type Connection, primedConnection } from '../../../lib/kernel/pagination.js';
import type { PostRow } from '../db/tables.js';
import type { PostsLoaders } from '../loaders.js';

/** A newest-first page of posts, cursor (created_at, id); primes postById for later fields. */
export function postConnection(rows: readonly PostRow[], first: number, loaders: PostsLoaders): Connection<PostRow> {
  return primedConnection(rows, first, (row) => [row.created_at.toISOString(), row.id], loaders.postById);
}
