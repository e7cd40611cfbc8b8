import { describe, expect, it } from 'vitest';
import { mapEvents } from '../../lib/realtime/map-events.js';

/** A source whose `next()` answers what the test pushes, and which records `return()`. */
function pushedSource<T>() {
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  const failures: ((error: unknown) => void)[] = [];
  let returned = 0;
  const source: AsyncIterator<T> = {
    next: () =>
      new Promise((resolve, reject) => {
        waiting.push(resolve);
        failures.push(reject);
      }),
    async return() {
      returned += 1;
      waiting.shift()?.({ value: undefined, done: true });
      return { value: undefined, done: true };
    },
  };
  return {
    source,
    push: (value: T) => waiting.shift()?.({ value, done: false }),
    fail: (error: unknown) => failures.shift()?.(error),
    returned: () => returned,
  };
}

describe('mapEvents', () => {
  it('maps events in order', async () => {
    const { source, push } = pushedSource<number>();
    const mapped = mapEvents(source, async (n) => n * 10);
    const first = mapped.next();
    push(1);
    expect(await first).toEqual({ value: 10, done: false });
    const second = mapped.next();
    push(2);
    expect(await second).toEqual({ value: 20, done: false });
  });

  it('reaches the source at once on return, even while a next() is pending, and only once', async () => {
    const { source, returned } = pushedSource<number>();
    const mapped = mapEvents(source, (n) => n);
    const pending = mapped.next();
    await mapped.return?.();
    await mapped.return?.();
    expect(returned()).toBe(1);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await mapped.next()).toEqual({ value: undefined, done: true });
  });

  it('ends with what failed() gives when the source fails, then stays done', async () => {
    const { source, fail } = pushedSource<number>();
    const mapped = mapEvents(source, { map: (n) => `n${n}`, failed: (error) => `refused: ${(error as Error).message}` });
    const next = mapped.next();
    fail(new Error('no'));
    expect(await next).toEqual({ value: 'refused: no', done: false });
    expect(await mapped.next()).toEqual({ value: undefined, done: true });
  });

  it('ends quietly when failed() gives nothing, and passes the failure on without failed()', async () => {
    const quiet = pushedSource<number>();
    const ended = mapEvents(quiet.source, { map: (n) => n, failed: () => undefined });
    const next = ended.next();
    quiet.fail(new Error('lost'));
    expect(await next).toEqual({ value: undefined, done: true });

    const loud = pushedSource<number>();
    const passing = mapEvents(loud.source, (n) => n);
    const failing = passing.next();
    loud.fail(new Error('lost'));
    await expect(failing).rejects.toThrow('lost');
  });
});
