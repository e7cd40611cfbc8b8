import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askGateway } from '../../tools/federation-diff/answers.js';
import { type RunningGateway, startOurGateway } from '../../tools/federation-diff/gateways.js';
import { composeSupergraph } from '../support/federation/compose.js';
import { SUITE_ENV } from '../support/federation/differential.js';
import { type RunningSubgraph, startFixtureSubgraph } from '../support/federation/fixture-subgraph.js';

/**
 * `percent(50)` through the real gateway: over 400 operations both subgraphs answer, about half
 * each. Each operation rolls on its own: a plan is cached per choice, not per operation text.
 */
const subgraph = (name: string, override: string) => ({
  name,
  typeDefs: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"${override === '' ? '' : ', "@override"'}])
    ${name === 'old' ? 'type Query { me: User }' : ''}
    type User @key(fields: "id") { id: ID! plan: String! ${override} }
  `,
  resolvers: {
    ...(name === 'old' ? { Query: { me: () => ({ id: 'u1' }) } } : {}),
    User: { __resolveReference: (key: { id: string }) => key, plan: () => name },
  },
});

describe('progressive override at 50%', () => {
  const subgraphs: RunningSubgraph[] = [];
  let gateway: RunningGateway;
  beforeAll(async () => {
    const fixtures = [subgraph('old', ''), subgraph('new', '@override(from: "old", label: "percent(50)")')];
    for (const fixture of fixtures) subgraphs.push(await startFixtureSubgraph(fixture));
    const sdl = composeSupergraph(fixtures.map((fixture, index) => ({ ...fixture, url: subgraphs[index]?.url as string })));
    gateway = await startOurGateway(sdl, { responseCache: false, env: SUITE_ENV });
  });
  afterAll(async () => {
    await gateway?.stop();
    for (const running of subgraphs) await running.stop();
  });

  it('sends about half of the operations to the new subgraph', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const { answer } = await askGateway(gateway, { query: '{ me { id plan } }', variables: {} });
      const plan = (answer.data as { me: { plan: string } }).me.plan;
      counts.set(plan, (counts.get(plan) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['new', 'old']);
    // Binomial(400, 0.5): outside 140..260 once in ~10^9 runs.
    expect(counts.get('new')).toBeGreaterThan(140);
    expect(counts.get('new')).toBeLessThan(260);
  });
});
