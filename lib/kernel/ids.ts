/** The ids of ChitLaq's entities are UUIDs (PostgreSQL `gen_random_uuid()`). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid UUID; lets loaders answer "not found" without asking SQL. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** `ids` lower-cased, as PostgreSQL prints a uuid: a lookup by id must not depend on the client's case. */
export function lowerCased(ids: readonly string[]): string[] {
  return ids.map((id) => id.toLowerCase());
}
