import { describe, expect, it } from 'vitest';
import { groupRows, matchRows } from '../../lib/kernel/grouping.js';
import { lowerCased } from '../../lib/kernel/ids.js';

describe('grouping rows for a DataLoader batch', () => {
  const rows = [
    { id: 'r1', owner: 'b' },
    { id: 'r2', owner: 'a' },
    { id: 'r3', owner: 'b' },
  ];

  it('gives each key its rows in row order, and an empty list to a key without any', () => {
    expect(groupRows(['a', 'b', 'c'], rows, (row) => row.owner)).toEqual([[rows[1]], [rows[0], rows[2]], []]);
  });

  it('answers a key asked twice twice', () => {
    expect(groupRows(['b', 'b'], rows, (row) => row.owner)).toEqual([
      [rows[0], rows[2]],
      [rows[0], rows[2]],
    ]);
  });

  it('matches one row per key, or what missing gives for it', () => {
    expect(
      matchRows(
        ['r3', 'nope', 'r1'],
        rows,
        (row) => row.id,
        (key) => `no ${key}`,
      ),
    ).toEqual([rows[2], 'no nope', rows[0]]);
  });

  it('lower-cases ids as PostgreSQL prints a uuid', () => {
    expect(lowerCased(['8067A3A3-CBD5-4B80-8734-23742627BC93', 'abc'])).toEqual(['8067a3a3-cbd5-4b80-8734-23742627bc93', 'abc']);
  });
});
