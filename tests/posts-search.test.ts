import { beforeAll, describe, expect, it } from 'vitest';
import { createPost } from './support/actions.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
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

async function search(
  q: string,
  first?: number,
  after?: string,
): Promise<{ ids: string[]; endCursor: string | null; hasNextPage: boolean }> {
  const response = await graphql(url, SEARCH, { q, first, after });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  const result = response.data.searchPosts;
  return { ids: result.nodes.map((n: { id: string }) => n.id), ...result.pageInfo };
}

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
