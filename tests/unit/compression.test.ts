import { describe, expect, it } from 'vitest';
import { preferredEncoding } from '../../gateway/plugins/compression.js';

describe('preferredEncoding', () => {
  it('prefers br, then gzip, and reads the usual browser header', () => {
    expect(preferredEncoding('gzip, deflate, br')).toBe('br');
    expect(preferredEncoding('gzip')).toBe('gzip');
    expect(preferredEncoding('deflate')).toBeUndefined();
    expect(preferredEncoding(null)).toBeUndefined();
  });

  it('honours q=0 and the * wildcard', () => {
    expect(preferredEncoding('br;q=0, gzip')).toBe('gzip');
    expect(preferredEncoding('*')).toBe('br');
    expect(preferredEncoding('*, br;q=0')).toBe('gzip');
    expect(preferredEncoding('identity')).toBeUndefined();
  });
});
