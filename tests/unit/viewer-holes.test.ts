import { readFileSync } from 'node:fs';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../gateway/context.js';
import { loadSupergraph } from '../../gateway/federation/supergraph.js';
import { ViewerHoles, withHolesEmptied } from '../../gateway/response-cache/viewer-holes.js';
import { SUPERGRAPH_FILE } from '../../gateway/server.js';
import type { Viewer } from '../../lib/kernel/tokens.js';
import { viewerDependentFields } from '../../lib/kernel/viewer-dependence.js';

const sdl = readFileSync(SUPERGRAPH_FILE, 'utf8');
const loaded = loadSupergraph(sdl);
const schema = loaded.apiGraphQLSchema;

/** A subgraph that answers each request with `answer` and remembers what it was asked, by whom. */
function fakeSubgraph(answer: (variables: Record<string, unknown>) => GatewayGraphQLResponse) {
  const asked: { query: string; variables: Record<string, unknown>; viewer: string | undefined }[] = [];
  const source: GraphQLDataSource<GatewayContext> = {
    async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
      const variables = (options.request.variables ?? {}) as Record<string, unknown>;
      asked.push({ query: options.request.query ?? '', variables, viewer: options.context.viewer?.id });
      return answer(variables);
    },
  };
  return { source, asked };
}

const holesWith = (sources: Record<string, GraphQLDataSource<GatewayContext>>) =>
  new ViewerHoles(loaded, viewerDependentFields(sdl), sources);
const planOf = (holes: ViewerHoles, text: string) => holes.planOf(schema, parse(text), undefined);

const CARDS = `query ($q: String!) { searchPosts(query: $q) { nodes { ...Card } } }
fragment Card on Post { id likedByViewer content author { id username isFollowedByViewer } }`;

describe('which operations share a response', () => {
  const holes = holesWith({});

  it('those whose viewer-dependent fields are leaves of entities selected with their key', () => {
    expect(planOf(holes, CARDS)).not.toBeNull();
    expect(planOf(holes, '{ post(id: "1") { id liked: likedByViewer } }')).not.toBeNull();
  });

  it('not those that need the viewer above a leaf, lack the key, rename it, or select conditionally', () => {
    for (const text of [
      '{ me { id username } }',
      '{ feed { nodes { id likedByViewer } } }',
      '{ post(id: "1") { likedByViewer } }',
      '{ post(id: "1") { id: content likedByViewer } }',
      'query ($c: Boolean!) { post(id: "1") { id likedByViewer @include(if: $c) } }',
      'query ($c: Boolean!) { post(id: "1") @skip(if: $c) { id likedByViewer } }',
      '{ post(id: "1") { id content } }',
    ]) {
      expect(planOf(holes, text), text).toBeNull();
    }
  });

  it('asks each subgraph once, for all the holes it fills', () => {
    const plan = planOf(holes, CARDS);
    expect(plan?.fetches.map((fetch) => fetch.subgraph).sort()).toEqual(['posts', 'users']);
    const posts = plan?.fetches.find((fetch) => fetch.subgraph === 'posts');
    expect(posts?.query).toBe(
      'query ViewerHoles($r0: [_Any!]!) { r0: _entities(representations: $r0) { ... on Post { likedByViewer } } }',
    );
  });
});

describe('filling a shared response', () => {
  const viewer = { id: 'viewer-1', token: 't' } as Viewer;
  const shared = () => ({
    post: { id: 'p1', liked: null, content: 'x', author: { id: 'u1', username: 'ann', isFollowedByViewer: null } },
  });
  const text = '{ post(id: "p1") { id liked: likedByViewer content author { id username isFollowedByViewer } } }';

  it('writes each value under its response name, asking by key with the viewer’s identity', async () => {
    const posts = fakeSubgraph(() => ({ data: { r0: [{ likedByViewer: true }] } }));
    const users = fakeSubgraph(() => ({ data: { r0: [{ isFollowedByViewer: false }] } }));
    const holes = holesWith({ posts: posts.source, users: users.source });
    const plan = planOf(holes, text);
    if (plan === null) throw new Error('no plan');
    const data = shared();
    expect(await holes.fill(plan, data, viewer)).toBe(true);
    expect(data).toEqual({
      post: { id: 'p1', liked: true, content: 'x', author: { id: 'u1', username: 'ann', isFollowedByViewer: false } },
    });
    expect(posts.asked).toEqual([
      {
        query: expect.stringContaining('... on Post { likedByViewer }'),
        variables: { r0: [{ __typename: 'Post', id: 'p1' }] },
        viewer: 'viewer-1',
      },
    ]);
    expect(users.asked[0]?.variables).toEqual({ r0: [{ __typename: 'User', id: 'u1' }] });
  });

  it('refuses what it cannot complete: an error, an entity gone, a null for a non-null field, a failing subgraph', async () => {
    const answers: (() => GatewayGraphQLResponse)[] = [
      () => ({ data: { r0: [null] }, errors: [{ message: 'boom' }] }),
      () => ({ data: { r0: [null] } }),
      () => ({ data: { r0: [{ likedByViewer: null }] } }),
      () => ({ data: { r0: [] } }),
      () => {
        throw new Error('subgraph down');
      },
    ];
    for (const answer of answers) {
      const posts = fakeSubgraph(answer);
      const users = fakeSubgraph(() => ({ data: { r0: [{ isFollowedByViewer: true }] } }));
      const holes = holesWith({ posts: posts.source, users: users.source });
      const plan = planOf(holes, text);
      if (plan === null) throw new Error('no plan');
      expect(await holes.fill(plan, shared(), viewer)).toBe(false);
    }
  });

  it('asks nothing when the response holds no entity with a hole', async () => {
    const posts = fakeSubgraph(() => ({ data: { r0: [] } }));
    const users = fakeSubgraph(() => ({ data: { r0: [] } }));
    const holes = holesWith({ posts: posts.source, users: users.source });
    const plan = planOf(holes, text);
    if (plan === null) throw new Error('no plan');
    expect(await holes.fill(plan, { post: null }, viewer)).toBe(true);
    expect(posts.asked.length + users.asked.length).toBe(0);
  });

  it('stores a copy with the holes emptied in place, the answer it came from untouched', () => {
    const plan = planOf(holesWith({}), CARDS);
    if (plan === null) throw new Error('no plan');
    const answer = {
      searchPosts: {
        nodes: [{ id: 'p1', likedByViewer: true, content: 'x', author: { id: 'u1', username: 'ann', isFollowedByViewer: true } }],
      },
    };
    const before = JSON.stringify(answer);
    const stored = withHolesEmptied(plan, answer);
    expect(JSON.stringify(answer)).toBe(before);
    expect(JSON.stringify(stored)).toBe(
      before
        .replace('"likedByViewer":true', '"likedByViewer":null')
        .replace('"isFollowedByViewer":true', '"isFollowedByViewer":null'),
    );
  });
});
