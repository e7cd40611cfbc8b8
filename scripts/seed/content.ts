import { extractHashtags, normalizeHashtag } from '../../subgraphs/posts/services/hashtags.js';
import type { Language } from './cultures.js';
import { createZipfSampler, type Random, weightedIndex } from './random.js';
import { TAGS } from './tags.js';
import { SHORT_POSTS, TEXTS } from './texts.js';

/** The posts table's limit (posts_content_length), in characters. */
export const MAX_POST_LENGTH = 2000;

/** The most used tag is drawn ~50× more often than the 50th: trending has clear winners and a long tail. */
const TAG_POPULARITY = createZipfSampler(TAGS.length, 1);
/** How many posts carry 0, 1, 2 and 3 tags. */
const TAGS_PER_POST = [25, 35, 25, 15];

/** What a seeded post is made of: its text and the hashtags the app extracts from it. */
export interface PostContent {
  readonly content: string;
  readonly hashtags: string[];
}

/**
 * A post in `language`: mostly a sentence or two, sometimes a one-word reply, now and then a
 * long one up to the 2000-character limit; with 0 to 3 distinct tags, written in the text the
 * way people write them (at the end, sometimes up front or capitalised). The stored tags are
 * what `extractHashtags` finds in that text, exactly as when a user posts it.
 */
export function composePost(random: Random, language: Language): PostContent {
  const tags = drawTags(random);
  const written = tags.map((tag) => `#${random.chance(0.2) ? capitalised(tag) : tag}`);
  const leading = written.length > 0 && random.chance(0.25) ? `${written.shift()} ` : '';
  const trailing = written.length > 0 ? ` ${written.join(' ')}` : '';
  const body = composeBody(random, language, MAX_POST_LENGTH - leading.length - trailing.length);
  const content = `${leading}${body}${trailing}`;
  return { content, hashtags: extractHashtags(content) };
}

/** 0-3 distinct tags, Zipf-distributed over the vocabulary. */
export function drawTags(random: Random): string[] {
  const count = weightedIndex(random, TAGS_PER_POST);
  const tags: string[] = [];
  while (tags.length < count) {
    const tag = TAGS[TAG_POPULARITY.sample(random)] as string;
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** A profile bio in the student's language. */
export function composeBio(random: Random, language: Language): string {
  return random.pick(TEXTS[language].bios);
}

function composeBody(random: Random, language: Language, maxLength: number): string {
  const roll = random.next();
  if (roll < 0.05) return random.pick(SHORT_POSTS);
  const sentences = roll < 0.55 ? 1 : roll < 0.8 ? 2 : roll < 0.96 ? random.between(3, 5) : random.between(10, 60);
  const texts = TEXTS[language];
  let body = '';
  // Whole sentences only: cutting mid-string could split an emoji's surrogate pair.
  for (let i = 0; i < sentences; i += 1) {
    const sentence = random.pick(texts.sentences).replace('{course}', () => random.pick(texts.courses));
    const next = body === '' ? sentence : `${body} ${sentence}`;
    if (next.length > maxLength) break;
    body = next;
  }
  return body === '' ? random.pick(SHORT_POSTS) : body;
}

/** "Öğrenci" for "öğrenci", unless capitalising would not fold back (İ lower-cases to i + a dot). */
function capitalised(tag: string): string {
  const upper = `${tag.charAt(0).toUpperCase()}${tag.slice(1)}`;
  return normalizeHashtag(upper) === tag ? upper : tag;
}
