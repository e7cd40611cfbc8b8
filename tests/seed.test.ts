import { type Kysely, type RawBuilder, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrateSchema } from '../lib/infra/db/migrate.js';
import { composePost, drawTags } from '../scripts/seed/content.js';
import { generateUsers } from '../scripts/seed/generate.js';
import { DEMO_COUNTS, DEMO_PASSWORD, type SeedSummary, seedDatabase, seedDemoIfEmpty } from '../scripts/seed/index.js';
import { pairCapacity, sampleDistinctPairs } from '../scripts/seed/pairs.js';
import { createRandom, createZipfSampler } from '../scripts/seed/random.js';
import { TAGS } from '../scripts/seed/tags.js';
import { migrations as messagesMigrations } from '../subgraphs/messages/db/migrations/index.js';
import { migrations as postsMigrations } from '../subgraphs/posts/db/migrations/index.js';
import { extractHashtags } from '../subgraphs/posts/services/hashtags.js';
import { graphql } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const COUNTS = { users: 200, posts: 2000, follows: 800, likes: 3000, conversations: 40, messages: 1500 };
const LOGIN = 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id username } } }';

/** One number from a statement: the checks below are each a single aggregate over a whole table. */
async function scalar(db: Kysely<object>, query: RawBuilder<{ n: number }>): Promise<number> {
  const { rows } = await query.execute(db);
  return rows[0]?.n ?? Number.NaN;
}

async function rowCounts(db: Kysely<object>) {
  const { rows } = await sql<
    Record<'users' | 'follows' | 'posts' | 'hashtags' | 'likes' | 'conversations' | 'members' | 'messages', number>
  >`
    select (select count(*)::int from users.users) as users,
           (select count(*)::int from users.follows) as follows,
           (select count(*)::int from posts.posts) as posts,
           (select count(*)::int from posts.post_hashtags) as hashtags,
           (select count(*)::int from posts.likes) as likes,
           (select count(*)::int from messages.conversations) as conversations,
           (select count(*)::int from messages.members) as members,
           (select count(*)::int from messages.messages) as messages`.execute(db);
  return rows[0];
}

describe('seed generation', () => {
  it('the Zipf sampler draws the most common rank far more often than the 50th', () => {
    const zipf = createZipfSampler(TAGS.length, 1);
    const random = createRandom(1);
    const draws = new Array<number>(TAGS.length).fill(0);
    for (let i = 0; i < 100_000; i += 1) {
      const rank = zipf.sample(random);
      draws[rank] = (draws[rank] ?? 0) + 1;
    }
    expect(draws[0]).toBeGreaterThan(20 * (draws[49] ?? 0));
    expect(draws[49]).toBeGreaterThan(0);
  });

  it('posts draw the top tag far more often than the 50th', () => {
    const random = createRandom(2);
    const uses = new Map<string, number>();
    for (let i = 0; i < 20_000; i += 1) for (const tag of drawTags(random)) uses.set(tag, (uses.get(tag) ?? 0) + 1);
    expect(uses.get(TAGS[0] as string)).toBeGreaterThan(20 * (uses.get(TAGS[49] as string) ?? 0));
  });

  it('every vocabulary tag, in every script, is extracted from a post as itself', () => {
    expect(TAGS.length).toBeGreaterThanOrEqual(190);
    expect(new Set(TAGS).size).toBe(TAGS.length);
    expect(TAGS).toEqual(expect.arrayContaining(['üniversite', 'студент', 'öğrenci']));
    for (const tag of TAGS) expect(extractHashtags(`Bugün #${tag}`)).toEqual([tag]);
  });

  it('composes posts of 2..2000 characters whose stored tags are exactly the extracted ones', () => {
    const random = createRandom(3);
    for (let i = 0; i < 5_000; i += 1) {
      const post = composePost(random, random.pick(['tr', 'ru', 'kk', 'uz', 'az', 'ky', 'en', 'de'] as const));
      expect([...post.content].length).toBeGreaterThanOrEqual(2);
      expect([...post.content].length).toBeLessThanOrEqual(2000);
      expect(post.hashtags).toEqual(extractHashtags(post.content));
      expect(post.hashtags.length).toBeLessThanOrEqual(3);
    }
  });

  it('is deterministic for a seed: the same users, usernames valid and unique', () => {
    const now = Date.UTC(2026, 10, 25);
    const first = generateUsers(createRandom(9), 500, now);
    const second = generateUsers(createRandom(9), 500, now);
    expect(second.username).toEqual(first.username);
    expect(second.displayName).toEqual(first.displayName);
    expect(new Set(first.username).size).toBe(500);
    for (const username of first.username) expect(username).toMatch(/^[a-z0-9_]{3,30}$/);
    for (const email of first.email) expect(email).toBe(email.toLowerCase());
  });

  it('draws distinct pairs without self-pairs, also when every pair is asked for (dense)', () => {
    const random = createRandom(4);
    const users = createZipfSampler(6, 1);
    for (const count of [10, pairCapacity(6, 6, false)]) {
      const pairs = sampleDistinctPairs(random, { count, rows: users, cols: users, allowSameIndex: false });
      const keys = new Set(Array.from(pairs.rows, (row, i) => `${row}:${pairs.cols[i]}`));
      expect(keys.size).toBe(count);
      expect(pairs.rows.some((row, i) => row === pairs.cols[i])).toBe(false);
    }
    expect(() => sampleDistinctPairs(random, { count: 31, rows: users, cols: users, allowSameIndex: false })).toThrow(RangeError);
  });
});

describe('seedDatabase', () => {
  const platform = usePlatform();
  let db: Kysely<object>;
  let summary: SeedSummary;

  beforeAll(async () => {
    db = platform.database.kysely;
    await migrateSchema(db, 'posts', postsMigrations);
    await migrateSchema(db, 'messages', messagesMigrations);
    summary = await seedDatabase(db, COUNTS, { seed: 7 });
  });

  it('inserts exactly the requested rows, and one post_hashtags row per stored tag', async () => {
    const hashtags = await scalar(db, sql`select coalesce(sum(cardinality(hashtags)), 0)::int as n from posts.posts`);
    const members = await scalar(db, sql`select count(*)::int as n from messages.members`);
    expect(members).toBeGreaterThanOrEqual(2 * COUNTS.conversations);
    expect(await rowCounts(db)).toEqual({ ...COUNTS, hashtags, members });
    expect(summary.rows).toEqual({ ...COUNTS, hashtags, members });
  });

  it('keeps likes_count equal to the like rows of every post', async () => {
    const mismatched = await scalar(
      db,
      sql`select count(*)::int as n from posts.posts p
           where p.likes_count <> (select count(*) from posts.likes l where l.post_id = p.id)`,
    );
    expect(mismatched).toBe(0);
  });

  it('mirrors posts.hashtags in post_hashtags exactly, with the post’s created_at', async () => {
    const differences = await scalar(
      db,
      sql`select count(*)::int as n from (
            (select tag, p.id, p.created_at from posts.posts p cross join unnest(p.hashtags) as tag
             except all
             select tag, post_id, created_at from posts.post_hashtags)
            union all
            (select tag, post_id, created_at from posts.post_hashtags
             except all
             select tag, p.id, p.created_at from posts.posts p cross join unnest(p.hashtags) as tag)
          ) d`,
    );
    expect(differences).toBe(0);
    const { rows } = await sql<{ content: string; hashtags: string[] }>`select content, hashtags from posts.posts`.execute(db);
    for (const row of rows) expect(row.hashtags).toEqual(extractHashtags(row.content));
  });

  it('dates posts within the last 30 days, never before their author, likes after their post', async () => {
    const { rows } = await sql<Record<string, number>>`
      select count(*) filter (where p.created_at < u.created_at)::int as before_author,
             count(*) filter (where p.created_at < now() - interval '30 days' or p.created_at > now())::int as outside_window,
             count(*) filter (where p.created_at > now() - interval '24 hours')::int as last_day
        from posts.posts p join users.users u on u.id = p.author_id`.execute(db);
    expect(rows[0]).toMatchObject({ before_author: 0, outside_window: 0 });
    expect(rows[0]?.last_day).toBeGreaterThan(0);
    const recentTags = await scalar(
      db,
      sql`select count(*)::int as n from posts.post_hashtags where created_at > now() - interval '24 hours'`,
    );
    expect(recentTags).toBeGreaterThan(0);
    const earlyLikes = await scalar(
      db,
      sql`select count(*)::int as n from posts.likes l join posts.posts p on p.id = l.post_id where l.created_at < p.created_at`,
    );
    expect(earlyLikes).toBe(0);
  });

  it('skews follows: the most followed user has many times the average', async () => {
    const top = await scalar(
      db,
      sql`select max(n)::int as n from (select count(*) as n from users.follows group by followee_id) f`,
    );
    expect(top).toBeGreaterThan(5 * (COUNTS.follows / COUNTS.users));
  });

  it('returns a demo login that works through the gateway, for a user who follows and is followed', async () => {
    const login = summary.demoLogin;
    expect(login).toMatchObject({ password: DEMO_PASSWORD });
    const response = await graphql(platform.gatewayUrl, LOGIN, { e: login?.email, p: login?.password });
    expect(response.errors).toBeUndefined();
    expect(response.data.login.user.username).toBe(login?.username);
    const { rows } = await sql<{ followers: number; following: number }>`
      select (select count(*)::int from users.follows where followee_id = ${response.data.login.user.id}::uuid) as followers,
             (select count(*)::int from users.follows where follower_id = ${response.data.login.user.id}::uuid) as following`.execute(
      db,
    );
    expect(rows[0]?.followers).toBeGreaterThan(0);
    expect(rows[0]?.following).toBeGreaterThan(0);
  });

  it('numbers each conversation’s messages 1..n in time order, with last_seq = n and updated_at = the newest', async () => {
    const { rows } = await sql<Record<string, number>>`
      select count(*) filter (where c.last_seq <> coalesce(s.n, 0) or coalesce(s.max_seq, 0) <> coalesce(s.n, 0)
                                 or coalesce(s.min_seq, 1) <> 1)::int as bad_numbering,
             count(*) filter (where c.updated_at <> coalesce(s.newest, c.created_at))::int as bad_updated_at,
             count(*) filter (where s.first_at < c.created_at)::int as before_start
        from messages.conversations c
        left join (select conversation_id, count(*) as n, min(seq) as min_seq, max(seq) as max_seq,
                          max(created_at) as newest, min(created_at) as first_at
                     from messages.messages group by conversation_id) s on s.conversation_id = c.id`.execute(db);
    expect(rows[0]).toEqual({ bad_numbering: 0, bad_updated_at: 0, before_start: 0 });
    const outOfOrder = await scalar(
      db,
      sql`select count(*)::int as n from (
            select created_at < lag(created_at) over (partition by conversation_id order by seq) as earlier
              from messages.messages) x where x.earlier`,
    );
    expect(outOfOrder).toBe(0);
  });

  it('makes mostly 1:1 conversations with the direct key startConversation writes, and some titled groups', async () => {
    const { rows } = await sql<Record<string, number>>`
      select count(*) filter (where not c.is_group)::int as direct,
             count(*) filter (where c.is_group and c.title is not null and c.direct_key is null)::int as titled_groups,
             count(*) filter (where not c.is_group and (m.n <> 2 or c.direct_key <> m.pair))::int as bad_direct,
             count(*) filter (where c.is_group and m.n < 3)::int as small_groups,
             count(*) filter (where not m.has_creator)::int as creator_not_member
        from messages.conversations c
        join (select conversation_id, count(*) as n, string_agg(user_id::text, ':' order by user_id::text collate "C") as pair,
                     bool_or(user_id = (select created_by from messages.conversations x where x.id = conversation_id)) as has_creator
                from messages.members group by conversation_id) m on m.conversation_id = c.id`.execute(db);
    expect(rows[0]).toMatchObject({ bad_direct: 0, small_groups: 0, creator_not_member: 0 });
    expect(rows[0]?.direct).toBeGreaterThan(COUNTS.conversations / 2);
    expect(rows[0]?.titled_groups).toBeGreaterThan(0);
    const senderNotMember = await scalar(
      db,
      sql`select count(*)::int as n from messages.messages x
           where not exists (select 1 from messages.members m where m.conversation_id = x.conversation_id and m.user_id = x.sender_id)`,
    );
    expect(senderNotMember).toBe(0);
  });

  it('keeps read markers within last_seq, and at or after each member’s own last message', async () => {
    const { rows } = await sql<Record<string, number>>`
      select count(*) filter (where m.last_read_seq > c.last_seq or m.last_read_seq < 0)::int as beyond,
             count(*) filter (where m.last_read_seq < coalesce(own.seq, 0))::int as behind_own,
             count(*) filter (where m.last_read_seq < c.last_seq)::int as with_unread
        from messages.members m
        join messages.conversations c on c.id = m.conversation_id
        left join (select conversation_id, sender_id, max(seq) as seq from messages.messages group by 1, 2) own
               on own.conversation_id = m.conversation_id and own.sender_id = m.user_id`.execute(db);
    expect(rows[0]).toMatchObject({ beyond: 0, behind_own: 0 });
    expect(rows[0]?.with_unread).toBeGreaterThan(0);
  });

  it('seeds again into the same database: no collisions, counts add up, invariants hold', async () => {
    const before = await rowCounts(db);
    const again = await seedDatabase(db, COUNTS, { seed: 7 });
    const after = await rowCounts(db);
    expect(after).toEqual({
      users: (before?.users ?? 0) + COUNTS.users,
      follows: (before?.follows ?? 0) + COUNTS.follows,
      posts: (before?.posts ?? 0) + COUNTS.posts,
      hashtags: (before?.hashtags ?? 0) + again.rows.hashtags,
      likes: (before?.likes ?? 0) + COUNTS.likes,
      conversations: (before?.conversations ?? 0) + COUNTS.conversations,
      members: (before?.members ?? 0) + again.rows.members,
      messages: (before?.messages ?? 0) + COUNTS.messages,
    });
    expect(again.demoLogin?.email).not.toBe(summary.demoLogin?.email);
    const mismatched = await scalar(
      db,
      sql`select count(*)::int as n from posts.posts p
           where p.likes_count <> (select count(*) from posts.likes l where l.post_id = p.id)`,
    );
    expect(mismatched).toBe(0);
  });

  it('seedDemoIfEmpty does nothing on a database that has users', async () => {
    const before = await rowCounts(db);
    expect(await seedDemoIfEmpty(db)).toBeNull();
    expect(await rowCounts(db)).toEqual(before);
  });
});

describe('seedDemoIfEmpty', () => {
  const platform = usePlatform();
  beforeAll(async () => {
    await migrateSchema(platform.database.kysely, 'posts', postsMigrations);
  });

  it('seeds the demo set into an empty database once and returns a login that works', async () => {
    const db = platform.database.kysely;
    const login = await seedDemoIfEmpty(db);
    expect(login).toEqual({ email: expect.any(String), password: DEMO_PASSWORD, username: expect.any(String) });
    const counts = await rowCounts(db);
    expect(counts).toMatchObject(DEMO_COUNTS);
    const response = await graphql(platform.gatewayUrl, LOGIN, { e: login?.email, p: login?.password });
    expect(response.errors).toBeUndefined();
    expect(await seedDemoIfEmpty(db)).toBeNull();
    expect(await rowCounts(db)).toEqual(counts);
  });
});
