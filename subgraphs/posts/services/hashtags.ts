/**
 * Hashtags are `#word` tokens: letters (any script), combining marks, digits and underscores,
 * not preceded by a word character (so "C#" or "a#b" are not tags), not all digits ("#1").
 * Returned lower-cased, without '#', de-duplicated, in order of first use.
 */
const HASHTAG = /(?<![\p{L}\p{M}\p{N}_&/])#([\p{L}\p{M}\p{N}_]+)/gu;
export const MAX_HASHTAG_LENGTH = 100;

export function extractHashtags(content: string): string[] {
  const tags: string[] = [];
  for (const match of content.matchAll(HASHTAG)) {
    const tag = normalizeHashtag(match[1] ?? '');
    if (tag.length > 0 && tag.length <= MAX_HASHTAG_LENGTH && !/^\p{N}+$/u.test(tag) && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** The stored form of a tag: without a leading '#', lower-cased, NFC-normalized. */
export function normalizeHashtag(tag: string): string {
  return tag.trim().replace(/^#/, '').normalize('NFC').toLowerCase();
}
