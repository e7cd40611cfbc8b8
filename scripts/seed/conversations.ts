import { randomUUID } from 'node:crypto';
import { CHAT_LINES, GROUP_TITLES } from './chats.js';
import type { SeedFollows, SeedUsers } from './generate.js';
import { createPopularity, type Random, shuffledIndexes } from './random.js';
import { SHORT_POSTS } from './texts.js';

/**
 * Conversations, their members and messages, generated as columns like the rest of the seed,
 * with the messages subgraph's invariants (subgraphs/messages/migrations, message.repository.ts):
 * each conversation's messages are numbered 1..n by `seq` in time order and `last_seq` is n;
 * `updated_at` is the time of the last message (creation time when none); a 1:1 conversation
 * has `direct_key` = its two member ids sorted and joined by ':' (as startConversation writes
 * it), a group has none; read markers (`last_read_seq`) never pass `last_seq`, and a member
 * has always read up to their own last message.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Conversations start within this window before `now` (and after all their members signed up). */
const CONVERSATIONS_WINDOW_MS = 90 * DAY;
/** Most conversations are 1:1; the rest are groups. */
const DIRECT_SHARE = 0.85;
/** Most 1:1 conversations are between people where one follows the other. */
const DIRECT_FROM_FOLLOWS_SHARE = 0.7;
/** Zipf exponents: a few conversations are very busy; in a group a few members do most of the talking. */
const SKEW = { conversation: 0.8, groupMember: 0.7, member: 0.5 } as const;

export interface SeedConversations {
  readonly count: number;
  readonly id: string[];
  readonly title: (string | null)[];
  readonly isGroup: boolean[];
  readonly directKey: (string | null)[];
  /** User index of the creator (always a member, the first one). */
  readonly createdBy: Uint32Array;
  readonly createdAt: Float64Array;
  /** Members of conversation i are memberUser[memberStart[i] .. memberStart[i + 1]). */
  readonly memberStart: Uint32Array;
  readonly memberUser: Uint32Array;
  /** Per member row (aligned with memberUser): the seq of the last message read. */
  readonly lastReadSeq: Int32Array;
  /** Per conversation: the number of messages (= seq of the newest) and the time of the newest. */
  readonly lastSeq: Int32Array;
  readonly updatedAt: Float64Array;
}

/** Message rows grouped by conversation, in seq order; bodies are composed while inserting (composeMessageBody). */
export interface SeedMessages {
  readonly count: number;
  readonly conversation: Uint32Array;
  readonly seq: Int32Array;
  readonly sender: Uint32Array;
  readonly createdAt: Float64Array;
}

/** What is wrong with seeding `conversations` conversations and `messages` messages among `users` users. */
export function checkConversationCounts(users: number, conversations: number, messages: number): string[] {
  const problems: string[] = [];
  if (conversations > 0 && users < 2) problems.push('conversations need at least two users');
  else if (conversations > 1 && users === 2) problems.push('2 users allow at most 1 conversation');
  if (messages > 0 && conversations === 0) problems.push('messages need at least one conversation');
  return problems;
}

/**
 * `count` conversations: DIRECT_SHARE 1:1 (distinct pairs, mostly along follow edges), the
 * rest groups of 3 to 12 members (now and then up to 50), with a title. Members are drawn
 * with mild popularity skew; a conversation starts after every member signed up.
 */
export function generateConversations(
  random: Random,
  users: SeedUsers,
  follows: SeedFollows,
  count: number,
  now: number,
): Omit<SeedConversations, 'lastReadSeq' | 'lastSeq' | 'updatedAt'> {
  const pairCapacity = (users.count * (users.count - 1)) / 2;
  const directCount = users.count < 3 ? count : Math.min(Math.round(count * DIRECT_SHARE), pairCapacity);
  const pairs = drawDirectPairs(random, users, follows, directCount);
  const people = createPopularity(users.popularity, SKEW.member);
  const id: string[] = [];
  const title: (string | null)[] = [];
  const isGroup: boolean[] = [];
  const directKey: (string | null)[] = [];
  const createdBy = new Uint32Array(count);
  const createdAt = new Float64Array(count);
  const memberStart = new Uint32Array(count + 1);
  const memberUser: number[] = [];
  for (let i = 0; i < count; i += 1) {
    memberStart[i] = memberUser.length;
    let members: number[];
    if (i < directCount) {
      const pair = pairs[i] as [number, number];
      members = random.chance(0.5) ? [pair[0], pair[1]] : [pair[1], pair[0]];
      const ids = members.map((member) => users.id[member] as string).sort();
      directKey.push(ids.join(':'));
      title.push(null);
      isGroup.push(false);
    } else {
      const size = Math.min(users.count, random.chance(0.1) ? random.between(13, 50) : random.between(3, 12));
      const chosen = new Set<number>();
      while (chosen.size < size) chosen.add(people.sample(random));
      members = [...chosen];
      directKey.push(null);
      title.push(random.pick(GROUP_TITLES));
      isGroup.push(true);
    }
    id.push(randomUUID());
    memberUser.push(...members);
    createdBy[i] = members[0] as number;
    const since = Math.max(now - CONVERSATIONS_WINDOW_MS, ...members.map((member) => users.createdAt[member] as number));
    createdAt[i] = since + random.int(Math.max(1, now - since));
  }
  memberStart[count] = memberUser.length;
  return { count, id, title, isGroup, directKey, createdBy, createdAt, memberStart, memberUser: Uint32Array.from(memberUser) };
}

/**
 * `count` messages spread over the conversations with Zipf skew, each conversation's in time
 * order after it started. In a 1:1 the turn passes to the other member more often than not; in
 * a group a few members talk most. Fills in the conversations' last_seq, updated_at and read markers.
 */
export function generateMessages(
  random: Random,
  planned: Omit<SeedConversations, 'lastReadSeq' | 'lastSeq' | 'updatedAt'>,
  count: number,
  now: number,
): { conversations: SeedConversations; messages: SeedMessages } {
  const perConversation = new Int32Array(planned.count);
  if (count > 0) {
    const busy = createPopularity(shuffledIndexes(random, planned.count), SKEW.conversation);
    for (let i = 0; i < count; i += 1) {
      const conversation = busy.sample(random);
      perConversation[conversation] = (perConversation[conversation] as number) + 1;
    }
  }
  const messages: SeedMessages = {
    count,
    conversation: new Uint32Array(count),
    seq: new Int32Array(count),
    sender: new Uint32Array(count),
    createdAt: new Float64Array(count),
  };
  const lastSeq = new Int32Array(planned.count);
  const updatedAt = new Float64Array(planned.count);
  const lastReadSeq = new Int32Array(planned.memberUser.length);
  let row = 0;
  for (let c = 0; c < planned.count; c += 1) {
    const n = perConversation[c] as number;
    const start = planned.memberStart[c] as number;
    const end = planned.memberStart[c + 1] as number;
    const members = Array.from(planned.memberUser.subarray(start, end));
    const talkers = createPopularity(shuffledIndexes(random, members.length), SKEW.groupMember);
    const from = planned.createdAt[c] as number;
    const times = Array.from({ length: n }, () => from + random.int(Math.max(1, now - from))).sort((a, b) => a - b);
    const lastSent = new Map<number, number>();
    let speaker = 0;
    for (let k = 0; k < n; k += 1) {
      if (members.length === 2) speaker = k === 0 ? 0 : random.chance(0.6) ? 1 - speaker : speaker;
      else speaker = talkers.sample(random);
      const sender = members[speaker] as number;
      messages.conversation[row] = c;
      messages.seq[row] = k + 1;
      messages.sender[row] = sender;
      messages.createdAt[row] = times[k] as number;
      lastSent.set(speaker, k + 1);
      row += 1;
    }
    lastSeq[c] = n;
    updatedAt[c] = n > 0 ? (times[n - 1] as number) : from;
    for (let m = 0; m < members.length; m += 1) {
      // Most members are caught up; the others stopped somewhere, but never before their own last message.
      const read = random.chance(0.75) ? n : random.int(n + 1);
      lastReadSeq[start + m] = Math.max(read, lastSent.get(m) ?? 0);
    }
  }
  return { conversations: { ...planned, lastReadSeq, lastSeq, updatedAt }, messages };
}

/** A chat message in `language`: mostly one line, sometimes a one-word reply, sometimes two lines. */
export function composeMessageBody(random: Random, language: keyof typeof CHAT_LINES): string {
  const roll = random.next();
  if (roll < 0.1) return random.pick(SHORT_POSTS);
  const lines = CHAT_LINES[language];
  return roll < 0.95 ? random.pick(lines) : `${random.pick(lines)} ${random.pick(lines)}`;
}

/** Distinct unordered user pairs (as index pairs): DIRECT_FROM_FOLLOWS_SHARE from follow edges, the rest skewed at random. */
function drawDirectPairs(random: Random, users: SeedUsers, follows: SeedFollows, count: number): [number, number][] {
  const pairs: [number, number][] = [];
  if (count === 0) return pairs;
  const taken = new Set<number>();
  const key = (a: number, b: number) => (a < b ? a * users.count + b : b * users.count + a);
  const add = (a: number, b: number) => {
    if (a === b || taken.has(key(a, b))) return false;
    taken.add(key(a, b));
    pairs.push([a, b]);
    return true;
  };
  const capacity = (users.count * (users.count - 1)) / 2;
  if (count > capacity / 2) {
    // Dense: enumerate every pair and take a random subset (small user counts only).
    const all: [number, number][] = [];
    for (let a = 0; a < users.count; a += 1) for (let b = a + 1; b < users.count; b += 1) all.push([a, b]);
    const order = shuffledIndexes(random, all.length);
    for (let i = 0; i < count; i += 1) pairs.push(all[order[i] as number] as [number, number]);
    return pairs;
  }
  const fromFollows = Math.min(Math.round(count * DIRECT_FROM_FOLLOWS_SHARE), follows.count);
  const edges = shuffledIndexes(random, follows.count);
  for (let i = 0; i < edges.length && pairs.length < fromFollows; i += 1) {
    const edge = edges[i] as number;
    add(follows.follower[edge] as number, follows.followee[edge] as number);
  }
  const people = createPopularity(users.popularity, SKEW.member);
  while (pairs.length < count) add(people.sample(random), people.sample(random));
  return pairs;
}
