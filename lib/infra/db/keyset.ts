import { type RawBuilder, sql } from 'kysely';

/** A keyset position of a newest-first page: the (timestamp, id) of its last row. */
export interface TimeIdPosition {
  readonly at: Date;
  readonly id: string;
}

/**
 * The condition "strictly after `cursor` in newest-first (timestamp, id) order" on the given
 * columns, `and (at, id) < (…)`, for a WHERE that follows; nothing on a first page (no cursor).
 * One row comparison, so PostgreSQL walks the (timestamp desc, id desc) index from the cursor.
 */
export function olderThan(
  cursor: TimeIdPosition | null,
  columns: { readonly at: string; readonly id: string },
): RawBuilder<unknown> {
  return cursor === null
    ? sql``
    : sql`and (${sql.ref(columns.at)}, ${sql.ref(columns.id)}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`;
}
