import { describe, expect, it } from 'vitest';
import { isUuid } from '../../lib/kernel/ids.js';
import { encodeCursor, parseTimeIdCursor, readPageArgs, toConnection } from '../../lib/kernel/pagination.js';

describe('pagination', () => {
  it('defaults first to 20 and round-trips a cursor', () => {
    const cursor = encodeCursor(['2026-11-25T10:00:00.000Z', 'abc']);
    expect(readPageArgs({ after: cursor }, parseTimeIdCursor)).toEqual({
      first: 20,
      after: { at: new Date('2026-11-25T10:00:00.000Z'), id: 'abc' },
    });
  });

  it.each([[-1], [101], [1.5]])('refuses first = %s', (first) => {
    expect(() => readPageArgs({ first }, parseTimeIdCursor)).toThrowError(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'first' } }),
    );
  });

  it.each([['garbage!'], [encodeCursor(['not a date', 'x'])], [encodeCursor([1])], [Buffer.from('{}').toString('base64url')]])(
    'refuses a malformed cursor %s',
    (after) => {
      expect(() => readPageArgs({ after }, parseTimeIdCursor)).toThrowError(
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }),
      );
    },
  );

  it('builds a connection from first + 1 rows', () => {
    const rows = [1, 2, 3].map((n) => ({ n }));
    const connection = toConnection(
      rows,
      2,
      (row) => [row.n],
      (row) => row.n,
    );
    expect(connection.nodes).toEqual([1, 2]);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor([2]) });
    expect(
      toConnection(
        [],
        2,
        () => [],
        (x) => x,
      ).pageInfo,
    ).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('recognises UUIDs', () => {
    expect(isUuid('8067a3a3-cbd5-4b80-8734-23742627bc93')).toBe(true);
    expect(isUuid("1' or 1=1")).toBe(false);
  });
});
