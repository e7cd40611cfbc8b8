import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPost } from './support/actions.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
/** Ranks windows of 3 matches, so a handful of posts spans several (services/search-posts.ts). */
const windowed = usePlatform({ SEARCH_WINDOW_SIZE: '3' });
let url: string;
let author: TestUser;

beforeAll(async () => {
  url = platform.gatewayUrl;
  author = await registerUser(url);
});

const SEARCH = /* GraphQL */ `
  query ($q: String!, $first: Int, $after: String) {
    searchPosts(query: $q, first: $first, after: $after) { nodes { id content } pageInfo { hasNextPage endCursor } }
  }
`;

/** A word no other test uses, so each test sees only its own posts. */
function word(): string {
  return `w${Math.random().toString(36).slice(2, 10)}`;
}

type Page = { ids: string[]; endCursor: string | null; hasNextPage: boolean };

async function searchAt(gatewayUrl: string, q: string, first?: number, after?: string): Promise<Page> {
  const response = await graphql(gatewayUrl, SEARCH, { q, first, after });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  const result = response.data.searchPosts;
  return { ids: result.nodes.map((n: { id: string }) => n.id), ...result.pageInfo };
}

const search = (q: string, first?: number, after?: string) => searchAt(url, q, first, after);

/** Every page of a search, `first` at a time, concatenated (at most 50 pages). */
async function allPages(gatewayUrl: string, q: string, first: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const result = await searchAt(gatewayUrl, q, first, after);
    ids.push(...result.ids);
    if (!result.hasNextPage) return ids;
    after = result.endCursor ?? undefined;
  }
  throw new Error('more than 50 pages');
}

/** `times` occurrences of `word` and a filler, so posts differ only in how often they match. */
const repeated = (word: string, times: number) => `${Array.from({ length: times }, () => word).join(' ')} filler`;

describe('searchPosts', () => {
  it('ignores accents and case: "ogrenci" finds "Öğrenci"', async () => {
    const tag = word();
    const post = await createPost(url, author, `Öğrenci kulübü toplantısı ${tag}`);
    expect((await search(`ogrenci ${tag}`)).ids).toEqual([post.id]);
    expect((await search(`ÖĞRENCİ ${tag}`)).ids).toEqual([post.id]);
    const russian = await createPost(url, author, `Студенты университета ${tag}`);
    expect((await search(`студенты ${tag}`)).ids).toEqual([russian.id]);
  });

  it('ranks better matches first, then newer posts first', async () => {
    const tag = word();
    const once = await createPost(url, author, `${tag} appears once among many other words here`);
    const twiceOld = await createPost(url, author, `${tag} ${tag} twice`);
    const twiceNew = await createPost(url, author, `${tag} ${tag} twice`);
    expect((await search(tag)).ids).toEqual([twiceNew.id, twiceOld.id, once.id]);
  });

  it('ranks a post with more of the words of an OR query above one with fewer', async () => {
    const [first, second] = [word(), word()];
    const both = await createPost(url, author, `${first} and ${second} together`);
    const one = await createPost(url, author, `${first} alone here too`);
    const other = await createPost(url, author, `${second} alone here too`);
    expect((await search(`${first} OR ${second}`)).ids).toEqual([both.id, other.id, one.id]);
  });

  it('pages through the ranked order without duplicates or gaps', async () => {
    const tag = word();
    const created = [];
    // Created in an order unrelated to their rank: 1, 3, 2, 1, 3, 2, 1 occurrences.
    for (const times of [1, 3, 2, 1, 3, 2, 1])
      created.push({ times, id: (await createPost(url, author, repeated(tag, times))).id });
    // Best match first; equal matches newest first.
    const expected = created
      .map((post, index) => ({ ...post, index }))
      .sort((a, b) => b.times - a.times || b.index - a.index)
      .map((post) => post.id);
    expect((await search(tag, 20)).ids).toEqual(expected);
    expect(await allPages(url, tag, 2)).toEqual(expected);
  });

  it('continues from a cursor of before windows (rank, time and id only)', async () => {
    const tag = word();
    const created = [];
    for (const times of [2, 1, 2, 1]) created.push((await createPost(url, author, repeated(tag, times))).id);
    const [oldTwo, oldOne, newTwo, newOne] = created;
    const page1 = await search(tag, 2);
    expect(page1.ids).toEqual([newTwo, oldTwo]);
    const [rank, at, id] = JSON.parse(Buffer.from(page1.endCursor as string, 'base64url').toString('utf8'));
    const legacy = Buffer.from(JSON.stringify([rank, at, id]), 'utf8').toString('base64url');
    expect((await search(tag, 2, legacy)).ids).toEqual([newOne, oldOne]);
  });

  it('supports web search syntax: quoted phrases and -exclusion', async () => {
    const tag = word();
    const phrase = await createPost(url, author, `${tag} library opens late`);
    await createPost(url, author, `${tag} late library`);
    const excluded = await createPost(url, author, `${tag} exam tomorrow`);
    expect((await search(`"${tag} library opens"`)).ids).toEqual([phrase.id]);
    expect((await search(`${tag} -library`)).ids).toEqual([excluded.id]);
  });

  it('pages with a stable cursor while new matching posts arrive', async () => {
    const tag = word();
    const created = [];
    for (let i = 0; i < 5; i += 1) created.push(await createPost(url, author, `${tag} number ${i}`));
    const expected = created.map((p) => p.id).reverse(); // equal rank: newest first
    const page1 = await search(tag, 2);
    expect(page1.ids).toEqual(expected.slice(0, 2));
    await createPost(url, author, `${tag} newcomer`);
    const page2 = await search(tag, 2, page1.endCursor ?? undefined);
    expect(page2.ids).toEqual(expected.slice(2, 4));
    const page3 = await search(tag, 2, page2.endCursor ?? undefined);
    expect(page3.ids).toEqual(expected.slice(4));
    expect(page3.hasNextPage).toBe(false);
  });

  it('finds nothing for punctuation-only queries and rejects blank ones', async () => {
    expect((await search('!!! ???')).ids).toEqual([]);
    const blank = await graphql(url, SEARCH, { q: '  ' });
    expect(errorCodes(blank)).toEqual(['BAD_USER_INPUT']);
    expect(blank.errors?.[0]?.extensions?.field).toBe('query');
  });
});

describe('searchPosts ranks the newest matches a window at a time (SEARCH_WINDOW_SIZE=3)', () => {
  let gatewayUrl: string;
  let writer: TestUser;

  beforeAll(async () => {
    gatewayUrl = windowed.gatewayUrl;
    writer = await registerUser(gatewayUrl);
  });

  /** Posts with 3, 1, 2, 1, 3, 1, 2 occurrences of a word, oldest first: windows {6, 5, 4}, {3, 2, 1}, {0}. */
  async function sevenPosts(tag: string): Promise<string[]> {
    const ids = [];
    for (const times of [3, 1, 2, 1, 3, 1, 2]) ids.push((await createPost(gatewayUrl, writer, repeated(tag, times))).id);
    return ids;
  }

  it('ranks within each window of newest matches, newer windows first', async () => {
    const tag = word();
    const [p0, p1, p2, p3, p4, p5, p6] = await sevenPosts(tag);
    // The oldest post is the best match of all but is ranked only against its own window.
    expect((await searchAt(gatewayUrl, tag, 20)).ids).toEqual([p4, p6, p5, p2, p3, p1, p0]);
  });

  it('pages across windows without duplicates or gaps, one post at a time or several', async () => {
    const tag = word();
    const [p0, p1, p2, p3, p4, p5, p6] = await sevenPosts(tag);
    const expected = [p4, p6, p5, p2, p3, p1, p0];
    expect(await allPages(gatewayUrl, tag, 1)).toEqual(expected);
    expect(await allPages(gatewayUrl, tag, 2)).toEqual(expected);
    expect(await allPages(gatewayUrl, tag, 5)).toEqual(expected);
  });

  it('keeps a cursor’s windows while new matching posts arrive; a new search sees them', async () => {
    const tag = word();
    const [p0, p1, p2, p3, p4, p5, p6] = await sevenPosts(tag);
    const page1 = await searchAt(gatewayUrl, tag, 2);
    expect(page1.ids).toEqual([p4, p6]);
    const newcomer = await createPost(gatewayUrl, writer, repeated(tag, 5));
    const page2 = await searchAt(gatewayUrl, tag, 4, page1.endCursor ?? undefined);
    expect(page2.ids).toEqual([p5, p2, p3, p1]);
    const page3 = await searchAt(gatewayUrl, tag, 4, page2.endCursor ?? undefined);
    expect(page3).toMatchObject({ ids: [p0], hasNextPage: false });
    // Now the newest window is {newcomer, p6, p5}.
    expect((await searchAt(gatewayUrl, tag, 3)).ids).toEqual([newcomer.id, p6, p5]);
  });
  it('pages a window that spans more posts than a bounded walk reads (the rest from the GIN index)', async () => {
    const tag = word();
    const oldest = await createPost(gatewayUrl, writer, repeated(tag, 1));
    // 400 posts without the word between the window's oldest member and the others: more than
    // the 300 rows (100 per member) the next page's walk may read before the GIN index takes over.
    await sql`
      insert into posts.posts (author_id, content)
      select ${writer.id}::uuid, 'filler ' || n from generate_series(1, 400) as n`.execute(windowed.database.kysely);
    const middle = await createPost(gatewayUrl, writer, repeated(tag, 2));
    const newest = await createPost(gatewayUrl, writer, repeated(tag, 3));
    const expected = [newest.id, middle.id, oldest.id];
    expect(await allPages(gatewayUrl, tag, 1)).toEqual(expected);
    expect(await allPages(gatewayUrl, `${tag} filler`, 1)).toEqual(expected);
  });
});
