import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { resultBreadth } from '../../lib/service/result-breadth.js';

const schema = buildSchema(`
  type Query { me: User, trending(limit: Int = 10): [Tag!]! }
  type User { id: ID!, name: String!, followers(first: Int, after: String): UserConnection! }
  type UserConnection { nodes: [User!]! }
  type Tag { tag: String! }
`);
const breadth = (query: string, variables: Record<string, unknown> = {}) =>
  resultBreadth(schema, parse(query), undefined, variables);

describe('resultBreadth', () => {
  it('counts objects, multiplying nested page sizes', () => {
    expect(breadth('{ me { id name } }')).toBe(1);
    // me 1 + followers 5 + nodes 5 + their followers 25 + nodes 25
    expect(breadth('{ me { followers(first: 5) { nodes { followers(first: 5) { nodes { id } } } } } }')).toBe(61);
  });

  it('takes page sizes from variables, the argument default, or the default page size', () => {
    expect(breadth('query ($n: Int) { me { followers(first: $n) { nodes { id } } } }', { n: 100 })).toBe(201);
    expect(breadth('{ me { followers { nodes { id } } } }')).toBe(41);
    expect(breadth('{ trending { tag } }')).toBe(10);
    expect(breadth('{ trending(limit: 3) { tag } }')).toBe(3);
  });

  it('caps a page at the largest page a resolver serves', () => {
    expect(breadth('{ me { followers(first: 100000) { nodes { id } } } }')).toBe(201);
  });

  it('expands fragments and inline fragments', () => {
    const query = `
      { me { ...F } }
      fragment F on User { followers(first: 10) { nodes { ... on User { followers(first: 10) { nodes { id } } } } } }`;
    expect(breadth(query)).toBe(1 + 10 + 10 + 100 + 100);
  });

  it('grows exponentially with nesting, which is what it exists to refuse', () => {
    const nested = (levels: number) =>
      `{ me { ${'followers(first: 100) { nodes { '.repeat(levels)}id${' } }'.repeat(levels)} } }`;
    expect(breadth(nested(2))).toBeLessThan(50_000);
    expect(breadth(nested(3))).toBeGreaterThan(50_000);
  });
});
