import { describe, expect, it } from 'vitest';
import { lateBound } from '../support/late-bound.js';

describe('lateBound (the handle usePlatform returns)', () => {
  it('throws a clear error when read before it is filled, naming what and the property', () => {
    const handle = lateBound<{ url: string }>('the platform', () => undefined);
    expect(() => handle.url).toThrow('the platform was read (url) before its beforeAll ran: read it in a test or a hook');
  });

  it('reads every property from the current value at the moment it is read', () => {
    let current: { url: string; stop(): string } | undefined;
    const handle = lateBound('the platform', () => current);
    current = { url: 'http://a', stop: () => 'stopped a' };
    expect(handle.url).toBe('http://a');
    current = { url: 'http://b', stop: () => 'stopped b' };
    expect([handle.url, handle.stop()]).toEqual(['http://b', 'stopped b']);
    expect('url' in handle).toBe(true);
    expect({ ...handle }).toEqual(current);
  });

  it('is no promise, so awaiting it gives the handle itself, filled or not', async () => {
    const handle = lateBound<{ url: string }>('the platform', () => undefined);
    expect(await handle).toBe(handle);
  });

  it('refuses writes', () => {
    const handle = lateBound<{ url: string }>('the platform', () => ({ url: 'http://a' }));
    expect(() => {
      handle.url = 'http://b';
    }).toThrow('the platform is read-only (url)');
  });
});
