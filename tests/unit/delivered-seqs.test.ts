import { describe, expect, it } from 'vitest';
import { DeliveredSeqs } from '../../subgraphs/messages/realtime/delivered-seqs.js';

describe('DeliveredSeqs', () => {
  it('accepts each (conversation, seq) once, conversations apart', () => {
    const delivered = new DeliveredSeqs();
    expect(delivered.accept('a', 1)).toBe(true);
    expect(delivered.accept('a', 1)).toBe(false);
    expect(delivered.accept('b', 1)).toBe(true);
    expect(delivered.accept('a', 2)).toBe(true);
  });

  it('drops everything at or below the floor (the catch-up point)', () => {
    const delivered = new DeliveredSeqs();
    delivered.raiseFloor('a', 10);
    expect(delivered.accept('a', 10)).toBe(false);
    expect(delivered.accept('a', 3)).toBe(false);
    expect(delivered.accept('a', 11)).toBe(true);
    delivered.raiseFloor('a', 5); // never lowers
    expect(delivered.accept('a', 7)).toBe(false);
  });

  it('delivers a late, never delivered seq instead of losing it (publishes of two instances may cross)', () => {
    const delivered = new DeliveredSeqs();
    expect(delivered.accept('a', 6)).toBe(true);
    expect(delivered.accept('a', 5)).toBe(true);
    expect(delivered.accept('a', 5)).toBe(false);
    expect(delivered.accept('a', 6)).toBe(false);
  });

  it('bounds memory: seqs leaving the window count as delivered', () => {
    const delivered = new DeliveredSeqs(3);
    for (const seq of [1, 2, 3, 4]) expect(delivered.accept('a', seq)).toBe(true);
    // 1 left the window, the floor is 1 now.
    expect(delivered.accept('a', 1)).toBe(false);
    expect(delivered.accept('a', 4)).toBe(false);
    expect(delivered.accept('a', 5)).toBe(true);
  });
});
