import { type Connection, toConnection } from '../../../lib/kernel/pagination.js';
import type { PostRow } from '../db/tables.js';
import type { PostsLoaders } from '../loaders.js';

/** A newest-first page of posts, cursor (created_at, id); primes postById for later fields. */
export function postConnection(rows: readonly PostRow[], first: number, loaders: PostsLoaders): Connection<PostRow> {
  return toConnection(
    rows,
    first,
    (row) => [row.created_at.toISOString(), row.id],
    (row) => {
      loaders.postById.prime(row.id, row);
      return row;
    },
  );
}
