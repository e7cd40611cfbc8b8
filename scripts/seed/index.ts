import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { hashPassword } from '../../subgraphs/users/services/passwords.js';
import { checkConversationCounts, composeMessageBody, generateConversations, generateMessages } from './conversations.js';
import type { Language } from './cultures.js';
import {
  composeSeedPost,
  generateFollows,
  generateLikes,
  generateUsers,
  likeCapacity,
  pickDemoUser,
  planPosts,
  renameUsers,
  type SeedFollows,
  type SeedUsers,
} from './generate.js';
import {
  inBatches,
  insertConversations,
  insertFollows,
  insertLikes,
  insertMembers,
  insertMessageRows,
  insertPostHashtags,
  insertPosts,
  insertUsers,
} from './insert.js';
import { findTakenUsernames, hasUsers, lockSeeding } from './lookups.js';
import { pairCapacity } from './pairs.js';
import { createRandom, type Random } from './random.js';

/**
 * The data seed: realistic users, follows, posts (with hashtags) and likes for development
 * and benchmarks. A given seed gives the same names, texts, tags and shapes; ids are random
 * v4 UUIDs, times are relative to `now`, and usernames already in the database are avoided
 * by suffixing, so seeding twice, or on top of real accounts, never collides.
 */

/** The password of every seeded account. Seeded data is for development and benchmarks only. */
export const DEMO_PASSWORD = 'chitlaq-demo-password';

export type SeedPhase = 'users' | 'follows' | 'posts' | 'hashtags' | 'likes' | 'conversations' | 'members' | 'messages';
export const SEED_PHASES: readonly SeedPhase[] = [
  'users',
  'follows',
  'posts',
  'hashtags',
  'likes',
  'conversations',
  'members',
  'messages',
];

export interface SeedCounts {
  users: number;
  posts: number;
  follows: number;
  likes: number;
  /** Conversations (mostly 1:1, some groups) in the messages schema, which must be migrated; default 0. */
  conversations?: number;
  /** Messages spread over the conversations; default 0. */
  messages?: number;
}

/** A phase's progress: reported with done = 0 when it starts and done = total when it ends. */
export interface SeedProgress {
  phase: SeedPhase;
  done: number;
  total: number;
}

export interface SeedOptions {
  /** PRNG seed: the same seed gives the same names, texts, tags and shapes. */
  seed: number;
  onProgress?: (progress: SeedProgress) => void;
  /** The time seeded activity ends at (default: now). */
  now?: Date;
}

export interface DemoLogin {
  email: string;
  password: string;
  username: string;
}

export interface SeedSummary {
  /** Rows inserted per table (hashtags = posts.post_hashtags rows, members = messages.members rows). */
  rows: Record<SeedPhase, number>;
  /** Wall time per phase, generation included. */
  phaseMs: Record<SeedPhase, number>;
  elapsedMs: number;
  /** A seeded account that follows people and has followers; null when no user was seeded. */
  demoLogin: DemoLogin | null;
}

/** Rows per statement: large enough to amortise round trips, small enough to keep each statement a few MB. */
const BATCH = {
  users: 2_000,
  follows: 10_000,
  posts: 2_000,
  hashtags: 10_000,
  likes: 10_000,
  conversations: 5_000,
  members: 10_000,
  messages: 5_000,
} as const;

/** The like count used when none is asked for: two per post, within what the users can give. */
export function defaultLikes(counts: Pick<SeedCounts, 'users' | 'posts'>): number {
  return Math.min(counts.posts * 2, likeCapacity(counts.users, counts.posts));
}

/** What is wrong with `counts`, one message per problem (empty when they can be seeded). */
export function checkCounts(counts: SeedCounts): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0) problems.push(`${name} must be a non-negative integer`);
  }
  if (problems.length > 0) return problems;
  if (counts.posts > 0 && counts.users === 0) problems.push('posts need at least one user');
  const follows = pairCapacity(counts.users, counts.users, false);
  if (counts.follows > follows) problems.push(`${counts.users} users allow at most ${follows} distinct follows`);
  const likes = likeCapacity(counts.users, counts.posts);
  if (counts.likes > likes)
    problems.push(`${counts.users} users and ${counts.posts} posts allow at most ${likes} distinct likes`);
  problems.push(...checkConversationCounts(counts.users, counts.conversations ?? 0, counts.messages ?? 0));
  return problems;
}

/**
 * Seeds `counts` rows in one transaction, so the cross-table invariants (likes_count equals
 * the like rows, post_hashtags mirrors posts.hashtags) hold for every committed seed and a
 * failed or interrupted seed leaves nothing behind. The shared password is hashed once.
 */
export async function seedDatabase(db: Kysely<object>, counts: SeedCounts, options: SeedOptions): Promise<SeedSummary> {
  const problems = checkCounts(counts);
  if (problems.length > 0) throw new RangeError(`Cannot seed: ${problems.join('; ')}`);
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  return db.transaction().execute(async (trx) => {
    await lockSeeding(trx);
    return seedInto(trx, counts, passwordHash, options);
  });
}

/** What `seedDemoIfEmpty` seeds: enough to click around, seconds to insert. */
export const DEMO_COUNTS: SeedCounts = { users: 50, posts: 500, follows: 300, likes: 1000 };

/**
 * Seeds DEMO_COUNTS when users.users is empty (a fresh `npm start`) and returns a login to
 * try; does nothing and returns null otherwise. Checking and seeding happen in one locked
 * transaction, so instances starting together seed once.
 */
export async function seedDemoIfEmpty(
  db: Kysely<object>,
  options: Pick<SeedOptions, 'onProgress'> = {},
): Promise<DemoLogin | null> {
  if (await hasUsers(db)) return null;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const summary = await db.transaction().execute(async (trx) => {
    await lockSeeding(trx);
    if (await hasUsers(trx)) return null;
    return seedInto(trx, DEMO_COUNTS, passwordHash, { seed: 42, ...options });
  });
  return summary?.demoLogin ?? null;
}

async function seedInto(
  trx: Transaction<object>,
  counts: SeedCounts,
  passwordHash: string,
  options: SeedOptions,
): Promise<SeedSummary> {
  const startedAt = performance.now();
  const now = (options.now ?? new Date()).getTime();
  const random = createRandom(options.seed);
  const phaseMs = { users: 0, follows: 0, posts: 0, hashtags: 0, likes: 0, conversations: 0, members: 0, messages: 0 };
  const report = (phase: SeedPhase, total: number) => (done: number) => options.onProgress?.({ phase, done, total });
  const timed = async <T>(phase: SeedPhase, run: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await run();
    } finally {
      phaseMs[phase] += performance.now() - start;
    }
  };

  const users = await timed('users', () =>
    seedUsers(trx, random.fork('users'), counts.users, now, passwordHash, report('users', counts.users)),
  );
  const follows = await timed('follows', async () => {
    report('follows', counts.follows)(0);
    const follows = generateFollows(random.fork('follows'), users, counts.follows, now);
    await inBatches(
      follows.count,
      BATCH.follows,
      (start, end) => ({
        followerId: pick(users.id, follows.follower, start, end),
        followeeId: pick(users.id, follows.followee, start, end),
        createdAt: Array.from(follows.createdAt.subarray(start, end)),
      }),
      (batch) => insertFollows(trx, batch),
      report('follows', follows.count),
    );
    return follows;
  });

  const posts = await timed('posts', () => planPosts(random.fork('posts'), users, counts.posts, now));
  // Likes are drawn before the posts are inserted: likes_count goes in with each post, exact from the start.
  const likes = await timed('likes', () => generateLikes(random.fork('likes'), users, posts, counts.likes, now));
  // One (tag, post index) pair per stored tag, collected while composing the posts' texts.
  const hashtags = { tag: [] as string[], post: [] as number[] };
  await timed('posts', () => {
    report('posts', posts.count)(0);
    const texts = random.fork('texts');
    return inBatches(
      posts.count,
      BATCH.posts,
      (start, end) => {
        const composed = Array.from({ length: end - start }, (_, i) => composeSeedPost(texts, users, posts, start + i));
        composed.forEach((post, i) => {
          for (const tag of post.hashtags) {
            hashtags.tag.push(tag);
            hashtags.post.push(start + i);
          }
        });
        return {
          id: posts.id.slice(start, end),
          authorId: pick(users.id, posts.author, start, end),
          content: composed.map((post) => post.content),
          hashtags: composed.map((post) => post.hashtags),
          likesCount: Array.from(likes.perPost.subarray(start, end)),
          createdAt: Array.from(posts.createdAt.subarray(start, end)),
        };
      },
      (batch) => insertPosts(trx, batch),
      report('posts', posts.count),
    );
  });
  await timed('hashtags', () => {
    const total = hashtags.tag.length;
    report('hashtags', total)(0);
    return inBatches(
      total,
      BATCH.hashtags,
      (start, end) => {
        const post = hashtags.post.slice(start, end);
        return {
          tag: hashtags.tag.slice(start, end),
          postId: post.map((index) => posts.id[index] as string),
          createdAt: post.map((index) => posts.createdAt[index] as number),
        };
      },
      (batch) => insertPostHashtags(trx, batch),
      report('hashtags', total),
    );
  });
  await timed('likes', () => {
    report('likes', likes.count)(0);
    return inBatches(
      likes.count,
      BATCH.likes,
      (start, end) => ({
        postId: pick(posts.id, likes.post, start, end),
        userId: pick(users.id, likes.user, start, end),
        createdAt: Array.from(likes.createdAt.subarray(start, end)),
      }),
      (batch) => insertLikes(trx, batch),
      report('likes', likes.count),
    );
  });

  const chats = await seedConversations(trx, random, users, follows, counts, now, report, timed);

  return {
    rows: {
      users: users.count,
      follows: follows.count,
      posts: posts.count,
      hashtags: hashtags.tag.length,
      likes: likes.count,
      ...chats,
    },
    phaseMs,
    elapsedMs: performance.now() - startedAt,
    demoLogin: demoLogin(users, follows),
  };
}

/**
 * Conversations, their members and their messages (the messages schema), after the users they
 * involve. Skipped entirely when no conversation is asked for, so seeds without messages do
 * not need the messages schema.
 */
async function seedConversations(
  trx: Transaction<object>,
  random: Random,
  users: SeedUsers,
  follows: SeedFollows,
  counts: SeedCounts,
  now: number,
  report: (phase: SeedPhase, total: number) => (done: number) => void,
  timed: <T>(phase: SeedPhase, run: () => T | Promise<T>) => Promise<T>,
): Promise<{ conversations: number; members: number; messages: number }> {
  const wanted = counts.conversations ?? 0;
  if (wanted === 0) return { conversations: 0, members: 0, messages: 0 };
  const { conversations, messages } = await timed('conversations', () => {
    const planned = generateConversations(random.fork('conversations'), users, follows, wanted, now);
    return generateMessages(random.fork('messages'), planned, counts.messages ?? 0, now);
  });
  await timed('conversations', () => {
    report('conversations', conversations.count)(0);
    return inBatches(
      conversations.count,
      BATCH.conversations,
      (start, end) => ({
        id: conversations.id.slice(start, end),
        title: conversations.title.slice(start, end),
        isGroup: conversations.isGroup.slice(start, end),
        directKey: conversations.directKey.slice(start, end),
        createdBy: pick(users.id, conversations.createdBy, start, end),
        lastSeq: Array.from(conversations.lastSeq.subarray(start, end)),
        createdAt: Array.from(conversations.createdAt.subarray(start, end)),
        updatedAt: Array.from(conversations.updatedAt.subarray(start, end)),
      }),
      (batch) => insertConversations(trx, batch),
      report('conversations', conversations.count),
    );
  });
  // One entry per member row: which conversation it belongs to.
  const memberCount = conversations.memberUser.length;
  const memberConversation = new Uint32Array(memberCount);
  for (let c = 0; c < conversations.count; c += 1)
    memberConversation.fill(c, conversations.memberStart[c] as number, conversations.memberStart[c + 1] as number);
  await timed('members', () => {
    report('members', memberCount)(0);
    return inBatches(
      memberCount,
      BATCH.members,
      (start, end) => ({
        conversationId: pick(conversations.id, memberConversation, start, end),
        userId: pick(users.id, conversations.memberUser, start, end),
        lastReadSeq: Array.from(conversations.lastReadSeq.subarray(start, end)),
        joinedAt: Array.from(memberConversation.subarray(start, end), (c) => conversations.createdAt[c] as number),
      }),
      (batch) => insertMembers(trx, batch),
      report('members', memberCount),
    );
  });
  await timed('messages', () => {
    report('messages', messages.count)(0);
    const texts = random.fork('chats');
    return inBatches(
      messages.count,
      BATCH.messages,
      (start, end) => {
        const sender = messages.sender.subarray(start, end);
        return {
          conversationId: pick(conversations.id, messages.conversation, start, end),
          seq: Array.from(messages.seq.subarray(start, end)),
          senderId: pick(users.id, messages.sender, start, end),
          body: Array.from(sender, (user) => composeMessageBody(texts, users.language[user] as Language)),
          clientMessageId: Array.from(sender, () => randomUUID()),
          createdAt: Array.from(messages.createdAt.subarray(start, end)),
        };
      },
      (batch) => insertMessageRows(trx, batch),
      report('messages', messages.count),
    );
  });
  return { conversations: conversations.count, members: memberCount, messages: messages.count };
}

/**
 * Generates the users, renames the few whose username or e-mail the database already holds
 * (a second seed, or accounts registered by hand; checked in bulk, not per row), then inserts.
 */
async function seedUsers(
  trx: Transaction<object>,
  random: Random,
  count: number,
  now: number,
  passwordHash: string,
  onProgress: (done: number) => void,
): Promise<SeedUsers> {
  onProgress(0);
  const users = generateUsers(random, count, now);
  let candidates = users.username.map((_, i) => i);
  while (candidates.length > 0) {
    const taken = await findTakenUsernames(
      trx,
      candidates.map((i) => users.username[i] as string),
      candidates.map((i) => users.email[i] as string),
    );
    candidates = candidates.filter((i) => taken.has(users.username[i] as string));
    renameUsers(random, users, candidates, taken);
  }
  await inBatches(
    count,
    BATCH.users,
    (start, end) => ({
      id: users.id.slice(start, end),
      email: users.email.slice(start, end),
      username: users.username.slice(start, end),
      displayName: users.displayName.slice(start, end),
      university: users.university.slice(start, end),
      bio: users.bio.slice(start, end),
      createdAt: Array.from(users.createdAt.subarray(start, end)),
    }),
    (batch) => insertUsers(trx, batch, passwordHash),
    onProgress,
  );
  return users;
}

function demoLogin(users: SeedUsers, follows: SeedFollows): DemoLogin | null {
  const index = pickDemoUser(users, follows);
  if (index === null) return null;
  return { email: users.email[index] as string, password: DEMO_PASSWORD, username: users.username[index] as string };
}

/** ids[indexes[start..end)]: turns index references into the uuids the rows store. */
function pick(ids: readonly string[], indexes: Uint32Array, start: number, end: number): string[] {
  return Array.from(indexes.subarray(start, end), (index) => ids[index] as string);
}
