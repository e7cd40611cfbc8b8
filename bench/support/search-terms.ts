import { type Kysely, sql } from 'kysely';

/**
 * Search terms as students would type them: words of five letters or more from about 400 seeded
 * posts (a 1 % block sample), at most 300, in the order met; the search scenarios draw them with
 * Zipf skew, so the first ones are searched most.
 */
export async function sampleSearchTerms(db: Kysely<object>): Promise<string[]> {
  const { rows } = await sql<{ content: string }>`select content from posts.posts tablesample system (1) limit 400`.execute(db);
  const words = rows.flatMap((row) => row.content.split(/[\s.,!?;:()"'«»—-]+/u)).filter((word) => /^\p{L}{5,}$/u.test(word));
  return [...new Set(words)].slice(0, 300);
}
