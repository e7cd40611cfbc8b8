import { randomUUID } from 'node:crypto';
import { composeBio, composePost, type PostContent } from './content.js';
import { CULTURE_WEIGHTS, CULTURES, type Culture, type Language } from './cultures.js';
import { pairCapacity, sampleDistinctPairs } from './pairs.js';
import { createPopularity, pickWeighted, type Random, shuffledIndexes } from './random.js';
import { TEXTS } from './texts.js';
import { mailDomain, UNIVERSITIES, type University } from './universities.js';
import { usernameFor, withSuffix } from './usernames.js';

/**
 * Pure row generation: everything the seed inserts, as columns (one array per column, ready
 * to be sliced into `unnest` batches), drawn from a seeded Random. Rows refer to each other
 * by index; ids are random v4 UUIDs made here so that the rows can reference each other
 * before any of them is inserted. Times are epoch milliseconds (the columns are
 * timestamptz(3)).
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Posts (and so likes) are spread over this window before `now`. */
export const POSTS_WINDOW_MS = 30 * DAY;
/** A share of posts lands in the last 24 hours, so trendingHashtags has data to rank. */
const RECENT_POST_SHARE = 0.15;
const LANGUAGES = Object.keys(TEXTS) as Language[];

/** Skews (Zipf exponents): how unequal attention is. Chosen so the top items stay below saturation at benchmark sizes. */
const SKEW = {
  followee: 0.8,
  follower: 0.5,
  author: 0.6,
  likedPost: 0.7,
  liker: 0.4,
} as const;

export interface SeedUsers {
  readonly count: number;
  readonly id: string[];
  readonly email: string[];
  readonly username: string[];
  readonly displayName: string[];
  readonly university: (string | null)[];
  readonly bio: (string | null)[];
  readonly createdAt: Float64Array;
  /** The language each user mostly posts in. */
  readonly language: Language[];
  /** User indexes, most popular first: who gets followed, and who posts, the most. */
  readonly popularity: Uint32Array;
}

/** Students from the seed's cultures, with usernames unique within this run; created over the last two years. */
export function generateUsers(random: Random, count: number, now: number): SeedUsers {
  const users: SeedUsers = {
    count,
    id: [],
    email: [],
    username: [],
    displayName: [],
    university: [],
    bio: [],
    createdAt: new Float64Array(count),
    language: [],
    popularity: shuffledIndexes(random, count),
  };
  const taken = new Set<string>();
  for (let i = 0; i < count; i += 1) {
    const culture: Culture = CULTURES[pickWeighted(random, CULTURE_WEIGHTS)];
    const female = random.chance(0.5);
    const first = random.pick(female ? culture.female : culture.male);
    const surname = random.pick(culture.surnames);
    const last = female ? culture.feminine(surname) : surname;
    const university = drawUniversity(random, culture);
    const username = unusedUsername(random, usernameFor(random, first, last), taken);
    taken.add(username);
    users.id.push(randomUUID());
    users.username.push(username);
    users.email.push(`${username}@${mailDomain(university)}`);
    users.displayName.push(`${first} ${last}`);
    users.university.push(university?.name ?? null);
    users.bio.push(random.chance(0.4) ? composeBio(random, culture.language) : null);
    users.language.push(culture.language);
    users.createdAt[i] = now - HOUR - random.int(730 * DAY);
  }
  return users;
}

/**
 * Gives the users at `indexes` new usernames (and e-mails) that are neither used in this run
 * nor in `taken` (names the database already holds). Mutates `users`.
 */
export function renameUsers(random: Random, users: SeedUsers, indexes: readonly number[], taken: ReadonlySet<string>): void {
  const used = new Set([...users.username, ...taken]);
  for (const i of indexes) {
    const current = users.username[i] as string;
    const username = unusedUsername(random, current, used);
    used.add(username);
    users.username[i] = username;
    const email = users.email[i] as string;
    users.email[i] = `${username}${email.slice(email.indexOf('@'))}`;
  }
}

export interface SeedFollows {
  readonly count: number;
  readonly follower: Uint32Array;
  readonly followee: Uint32Array;
  readonly createdAt: Float64Array;
}

/** Distinct follow edges, no self-follows; followees Zipf-skewed by popularity, followers mildly. Each edge is younger than both users. */
export function generateFollows(random: Random, users: SeedUsers, count: number, now: number): SeedFollows {
  if (count === 0) return { count, follower: new Uint32Array(0), followee: new Uint32Array(0), createdAt: new Float64Array(0) };
  const pairs = sampleDistinctPairs(random, {
    count,
    rows: createPopularity(shuffledIndexes(random, users.count), SKEW.follower),
    cols: createPopularity(users.popularity, SKEW.followee),
    allowSameIndex: false,
  });
  const createdAt = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const since = Math.max(
      users.createdAt[pairs.rows[i] as number] as number,
      users.createdAt[pairs.cols[i] as number] as number,
    );
    createdAt[i] = timeBetween(random, since, now);
  }
  return { count, follower: pairs.rows, followee: pairs.cols, createdAt };
}

/** Posts without their text: the text is composed batch by batch while inserting (see composeSeedPost). */
export interface SeedPosts {
  readonly count: number;
  readonly id: string[];
  readonly author: Uint32Array;
  readonly createdAt: Float64Array;
}

/**
 * Authors Zipf-skewed (popular students post more); times over the last 30 days, never before
 * the author signed up. Oldest first, so posts are inserted in time order, as a live network
 * appends them (what the table's physical order, and so its index scans, look like in production).
 */
export function planPosts(random: Random, users: SeedUsers, count: number, now: number): SeedPosts {
  const posts: SeedPosts = { count, id: [], author: new Uint32Array(count), createdAt: new Float64Array(count) };
  if (count === 0) return posts;
  const authors = createPopularity(users.popularity, SKEW.author);
  const drawn = Array.from({ length: count }, () => {
    const author = authors.sample(random);
    const window = random.chance(RECENT_POST_SHARE) ? DAY : POSTS_WINDOW_MS;
    return { author, createdAt: timeBetween(random, Math.max(now - window, users.createdAt[author] as number), now) };
  }).sort((a, b) => a.createdAt - b.createdAt);
  drawn.forEach((post, i) => {
    posts.id.push(randomUUID());
    posts.author[i] = post.author;
    posts.createdAt[i] = post.createdAt;
  });
  return posts;
}

/** The text of post `index`, mostly in its author's language. */
export function composeSeedPost(random: Random, users: SeedUsers, posts: SeedPosts, index: number): PostContent {
  const own = users.language[posts.author[index] as number] as Language;
  const roll = random.next();
  return composePost(random, roll < 0.75 ? own : roll < 0.9 ? 'en' : random.pick(LANGUAGES));
}

export interface SeedLikes {
  readonly count: number;
  readonly post: Uint32Array;
  readonly user: Uint32Array;
  readonly createdAt: Float64Array;
  /** likes per post index: posts.likes_count is inserted from it, so it equals the like rows. */
  readonly perPost: Int32Array;
}

/** Distinct (post, user) likes, skewed to popular posts and to active likers; each after the post and the liker exist. */
export function generateLikes(random: Random, users: SeedUsers, posts: SeedPosts, count: number, now: number): SeedLikes {
  const perPost = new Int32Array(posts.count);
  if (count === 0) return { count, post: new Uint32Array(0), user: new Uint32Array(0), createdAt: new Float64Array(0), perPost };
  const pairs = sampleDistinctPairs(random, {
    count,
    rows: createPopularity(shuffledIndexes(random, posts.count), SKEW.likedPost),
    cols: createPopularity(shuffledIndexes(random, users.count), SKEW.liker),
    allowSameIndex: true,
  });
  const createdAt = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const post = pairs.rows[i] as number;
    perPost[post] = (perPost[post] as number) + 1;
    const since = Math.max(posts.createdAt[post] as number, users.createdAt[pairs.cols[i] as number] as number);
    createdAt[i] = timeBetween(random, since, now);
  }
  return { count, post: pairs.rows, user: pairs.cols, createdAt, perPost };
}

/** The most likes a seed of this size can hold: each user likes each post at most once. */
export function likeCapacity(users: number, posts: number): number {
  return pairCapacity(posts, users, true);
}

/**
 * The user to show as the demo login: the most followed one among those who also follow
 * someone, so the account has a feed and an audience. Falls back to the first user.
 */
export function pickDemoUser(users: SeedUsers, follows: SeedFollows): number | null {
  if (users.count === 0) return null;
  const followers = new Uint32Array(users.count);
  const following = new Uint32Array(users.count);
  for (let i = 0; i < follows.count; i += 1) {
    followers[follows.followee[i] as number] = (followers[follows.followee[i] as number] as number) + 1;
    following[follows.follower[i] as number] = (following[follows.follower[i] as number] as number) + 1;
  }
  let best = 0;
  let bestFollowers = -1;
  for (let i = 0; i < users.count; i += 1) {
    const count = followers[i] as number;
    if ((following[i] as number) > 0 && count > 0 && count > bestFollowers) {
      best = i;
      bestFollowers = count;
    }
  }
  return best;
}

/** A university of the student's region most of the time; some list none. */
function drawUniversity(random: Random, culture: Culture): University | null {
  if (random.chance(0.08)) return null;
  const regional = UNIVERSITIES.filter((university) => university.region === culture.region);
  return random.pick(random.chance(0.75) && regional.length > 0 ? regional : UNIVERSITIES);
}

/** `candidate`, or it with a numeric suffix when taken; the suffix range widens as attempts fail. */
function unusedUsername(random: Random, candidate: string, taken: ReadonlySet<string>): string {
  if (!taken.has(candidate)) return candidate;
  // Suffix the name itself, not an earlier suffix: ayse_yilmaz_12, never ayse_yilmaz_12_7.
  const base = candidate.replace(/_\d+$/, '') || candidate;
  for (let attempt = 0; ; attempt += 1) {
    const username = withSuffix(base, random.between(1, 10 ** (2 + Math.floor(attempt / 4))));
    if (!taken.has(username)) return username;
  }
}

/** A millisecond in [from, to]. */
function timeBetween(random: Random, from: number, to: number): number {
  return from + random.int(to - from + 1);
}
