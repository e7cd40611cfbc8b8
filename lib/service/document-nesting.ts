import type { Plugin } from '@envelop/core';
import { GraphQLError } from 'graphql';

/**
 * Brackets (`{`, `[`, `(`) a document may nest. graphql-js parses recursively, a few stack
 * frames per level, so a few thousand `[` overflow the stack (RangeError, a 500) before the
 * token limit is reached. Real operations nest far less: GraphiQL's introspection query about
 * 12 levels, the gateway's query plans the operation's depth (at most GRAPHQL_MAX_DEPTH) plus 4.
 */
export const MAX_DOCUMENT_NESTING = 128;

/**
 * How deep the brackets of `source` nest, counted without recursion; strings, block strings and
 * comments are skipped. Stops counting once `stopAbove` is passed (a long document costs no more).
 */
export function documentNesting(source: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  const length = source.length;
  for (let i = 0; i < length; i++) {
    const char = source.charCodeAt(i);
    if (char === 0x7b || char === 0x5b || char === 0x28) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (char === 0x7d || char === 0x5d || char === 0x29) {
      if (depth > 0) depth--;
    } else if (char === 0x23) {
      // # comment, to the end of the line
      while (i + 1 < length && source.charCodeAt(i + 1) !== 0x0a && source.charCodeAt(i + 1) !== 0x0d) i++;
    } else if (char === 0x22) {
      if (source.startsWith('"""', i)) {
        // Block string: ends at the next """ not escaped as \"""
        let end = source.indexOf('"""', i + 3);
        while (end !== -1 && source.charCodeAt(end - 1) === 0x5c) end = source.indexOf('"""', end + 1);
        i = end === -1 ? length : end + 2;
      } else {
        // String: ends at an unescaped " (or the line; the parser reports the error)
        for (i++; i < length; i++) {
          const c = source.charCodeAt(i);
          if (c === 0x5c) i++;
          else if (c === 0x22 || c === 0x0a || c === 0x0d) break;
        }
      }
    }
  }
  return deepest;
}

/** The error a too deeply nested document gets: a syntax error, over HTTP (400) and WebSocket alike. */
export function nestingError(maxNesting: number): GraphQLError {
  return new GraphQLError(`Syntax Error: Nesting limit of ${maxNesting} exceeded.`, {
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
  });
}

/**
 * Parses with `parse` unless `source` nests deeper than `maxNesting`; a stack overflow of the
 * parser itself (should the count ever be wrong) also becomes the syntax error, never a 500.
 */
export function parseWithNestingLimit<T>(source: string, parse: (source: string) => T, maxNesting = MAX_DOCUMENT_NESTING): T {
  if (documentNesting(source, maxNesting) > maxNesting) throw nestingError(maxNesting);
  try {
    return parse(source);
  } catch (error) {
    if (error instanceof RangeError) throw nestingError(maxNesting);
    throw error;
  }
}

/**
 * Envelop plugin: every parse of this Yoga (HTTP, and WebSockets parsing through
 * `getEnveloped`) goes through parseWithNestingLimit. Place it after plugins that replace the
 * parse function (graphql-armor's token limit), so it wraps theirs.
 */
export function useNestingLimit(maxNesting = MAX_DOCUMENT_NESTING): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) =>
        parseWithNestingLimit(typeof source === 'string' ? source : source.body, () => parseFn(source, options), maxNesting),
      );
    },
  };
}
