import { type Kysely, sql } from 'kysely';

/** A conversation made for a benchmark, and who is in it. */
export interface BenchGroup {
  readonly id: string;
  readonly memberIds: readonly string[];
}

/**
 * Creates one group conversation per member list, straight in the `messages` schema (the
 * benchmarks measure sending and delivery, not startConversation): two statements per group.
 */
export async function createGroups(db: Kysely<object>, memberLists: readonly (readonly string[])[]): Promise<BenchGroup[]> {
  const groups: BenchGroup[] = [];
  for (const memberIds of memberLists) {
    const { rows } = await sql<{ id: string }>`
      insert into messages.conversations (title, is_group, direct_key, created_by)
      values (${`bench group ${groups.length}`}, true, null, ${memberIds[0]}) returning id`.execute(db);
    const id = rows[0]?.id;
    if (id === undefined) throw new Error('insert returned no conversation');
    await sql`insert into messages.members (conversation_id, user_id)
              select ${id}::uuid, unnest(${[...memberIds]}::uuid[])`.execute(db);
    groups.push({ id, memberIds });
  }
  return groups;
}
