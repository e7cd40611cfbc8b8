import { describe, expect, it } from 'vitest';
import { mergedNextFrame, nextFrame, operationIdsOf, parseServerFrame } from '../../lib/realtime/frames.js';

describe('graphql-transport-ws frames', () => {
  const payload = JSON.stringify({ data: { messageAdded: { id: 'm1' } } });

  it('writes next as graphql-ws does, byte for byte', () => {
    for (const id of ['a1', 'with "quotes"', 'ünïcode'])
      expect(nextFrame(id, payload)).toBe(JSON.stringify({ id, type: 'next', payload: JSON.parse(payload) }));
  });

  it('writes one payload for several operations as a merged next, and a plain next for one', () => {
    expect(mergedNextFrame(['a', 'b', 'c'], payload)).toBe(`{"id":"a","ids":["b","c"],"type":"next","payload":${payload}}`);
    expect(mergedNextFrame(['a'], payload)).toBe(nextFrame('a', payload));
    expect(() => mergedNextFrame([], payload)).toThrow();
  });

  it('reads back every operation a next frame names, merged or not', () => {
    const merged = parseServerFrame(mergedNextFrame(['a', 'b', 'c'], payload));
    expect(merged === null ? null : operationIdsOf(merged)).toEqual(['a', 'b', 'c']);
    expect(merged?.payload).toEqual(JSON.parse(payload));
    const plain = parseServerFrame(nextFrame('x', payload));
    expect(plain === null ? null : operationIdsOf(plain)).toEqual(['x']);
  });

  it('refuses what is not a frame', () => {
    expect(parseServerFrame('not json')).toBeNull();
    expect(parseServerFrame('[1,2]')).toBeNull();
    expect(parseServerFrame('{"id":"a"}')).toBeNull();
  });
});
