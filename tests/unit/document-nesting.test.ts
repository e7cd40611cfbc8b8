import { getIntrospectionQuery, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { documentNesting, MAX_DOCUMENT_NESTING, parseWithNestingLimit } from '../../lib/service/document-nesting.js';

describe('documentNesting', () => {
  it('counts the deepest bracket of any kind', () => {
    expect(documentNesting('{ a }')).toBe(1);
    expect(documentNesting('{ a(x: [[1]]) { b } }')).toBe(4);
    expect(documentNesting('{ a(x: {y: {z: 1}}) }')).toBe(4);
  });

  it('skips strings, block strings (with escaped quotes) and comments', () => {
    expect(documentNesting('{ a(x: "[[[[{{(\\"[[") }')).toBe(2);
    expect(documentNesting('{ a(x: """ [[[ \\""" [[[ """) }')).toBe(2);
    expect(documentNesting('# [[[[[[\n{ a }')).toBe(1);
  });

  it('stops counting above the limit', () => {
    expect(documentNesting('['.repeat(1000), 10)).toBe(11);
  });

  it('lets the introspection query through', () => {
    expect(documentNesting(getIntrospectionQuery())).toBeLessThan(MAX_DOCUMENT_NESTING);
  });
});

describe('parseWithNestingLimit', () => {
  it('refuses a deep document with GRAPHQL_PARSE_FAILED before parsing it', () => {
    let parsed = false;
    expect(() =>
      parseWithNestingLimit(`{ a(x: ${'['.repeat(200)}${']'.repeat(200)}) }`, () => {
        parsed = true;
      }),
    ).toThrow(
      expect.objectContaining({
        message: 'Syntax Error: Nesting limit of 128 exceeded.',
        extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      }),
    );
    expect(parsed).toBe(false);
  });

  it('turns a stack overflow of the parser into the same syntax error', () => {
    const overflow = () => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    expect(() => parseWithNestingLimit('{ a }', overflow)).toThrow(/Nesting limit/);
    expect(parseWithNestingLimit('{ a }', parse).kind).toBe('Document');
  });
});
