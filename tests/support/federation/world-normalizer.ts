import type { Answer } from '../../../tools/federation-diff/answers.js';

/** Fields whose values each world generates anew: compared as stand-ins. */
const TIMESTAMP_FIELDS = new Set(['createdAt', 'updatedAt']);
const TOKEN_FIELDS = new Set(['token']);
/** Lists in an order the subgraph leaves to ids, which differ between worlds: compared as sets. */
const UNORDERED_FIELDS = new Set(['members']);
/** Ids and cursors (which encode ids): numbered in the order each world first shows them. */
const ID_FIELDS = new Set(['id', 'endCursor']);

/**
 * Makes one world's answers comparable with another's, when each world is the same story told
 * with its own accounts (the project differential runs one per gateway): its name prefix becomes
 * `<world>`, ids and cursors `<id:N>` in order of first appearance, tokens and timestamps a
 * stand-in, and a conversation's members are sorted. Two gateways that answer alike give equal normalized answers; one that answers a
 * different id, count, order or shape does not.
 */
export class WorldNormalizer {
  readonly #prefix: string;
  readonly #ids = new Map<string, string>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  answer(answer: Answer): Answer {
    return {
      ...('data' in answer ? { data: this.#value(answer.data, undefined) } : {}),
      ...(answer.errors === undefined
        ? {}
        : { errors: answer.errors.map((error) => ({ ...error, message: this.#text(error.message) })) }),
    };
  }

  #value(value: unknown, field: string | undefined): unknown {
    if (Array.isArray(value)) {
      const items = value.map((item) => this.#value(item, field));
      return field !== undefined && UNORDERED_FIELDS.has(field)
        ? items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
        : items;
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, this.#value(child, key)]));
    }
    if (typeof value !== 'string') return value;
    // An id shown before, wherever it shows again (`deletePost` answers the id it deleted).
    const known = this.#ids.get(value);
    if (known !== undefined) return known;
    if (field === undefined) return this.#text(value);
    if (TIMESTAMP_FIELDS.has(field)) return '<time>';
    if (TOKEN_FIELDS.has(field)) return '<token>';
    if (ID_FIELDS.has(field)) {
      const standIn = `<id:${this.#ids.size + 1}>`;
      this.#ids.set(value, standIn);
      return standIn;
    }
    return this.#text(value);
  }

  #text(text: string): string {
    return text.replaceAll(this.#prefix, '<world>');
  }
}
