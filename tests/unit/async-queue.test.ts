import { describe, expect, it } from 'vitest';
import { AsyncQueue, pulled } from '../../lib/realtime/async-queue.js';

function queue(limit = 3) {
  const ends: number[] = [];
  const q = new AsyncQueue<number>({ limit, overflowError: () => new Error('overflow'), onEnd: () => ends.push(1) });
  return { q, ends };
}

describe('AsyncQueue', () => {
  it('hands pushed values to next() in order, buffered or awaited', async () => {
    const { q } = queue();
    const waiting = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    expect(await q.next()).toEqual({ value: 3, done: false });
  });

  it('return() ends at once, even with a next() pending, drops the buffer and runs onEnd once', async () => {
    const { q, ends } = queue();
    const pending = q.next();
    await q.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    q.push(4);
    expect(await q.next()).toEqual({ value: undefined, done: true });
    await q.return();
    expect(ends).toEqual([1]);
  });

  it('end(error) delivers what is buffered, then throws the error once, then is done', async () => {
    const { q, ends } = queue();
    q.push(1);
    q.end(new Error('the end'));
    expect(ends).toEqual([1]);
    q.push(2); // ignored: ended
    expect(await q.next()).toEqual({ value: 1, done: false });
    await expect(q.next()).rejects.toThrow('the end');
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('ends a consumer that falls more than `limit` behind with the overflow error, dropping the backlog', async () => {
    const { q, ends } = queue(3);
    for (let i = 0; i < 3; i += 1) q.push(i);
    expect(q.ended).toBe(false);
    q.push(3);
    expect(q.ended).toBe(true);
    expect(ends).toEqual([1]);
    await expect(q.next()).rejects.toThrow('overflow');
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('works with for await and stops when the loop breaks', async () => {
    const { q, ends } = queue(10);
    for (let i = 0; i < 5; i += 1) q.push(i);
    const seen: number[] = [];
    for await (const value of q) {
      seen.push(value);
      if (value === 2) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(ends).toEqual([1]);
  });
});

describe('pulled', () => {
  const bounds = { limit: 10, overflowError: () => new Error('too far behind') };

  it('pulls what is pushed and stops the producer once when the consumer returns', async () => {
    let stops = 0;
    let push: ((value: number) => void) | undefined;
    const events = pulled<number>((listener) => {
      push = (value) => listener.push(value);
      return () => {
        stops += 1;
      };
    }, bounds);
    push?.(1);
    push?.(2);
    expect(await events.next()).toEqual({ value: 1, done: false });
    expect(await events.next()).toEqual({ value: 2, done: false });
    await events.return?.();
    await events.return?.();
    expect(stops).toBe(1);
  });

  it('stops the producer when it ends the stream while starting', async () => {
    let stops = 0;
    const events = pulled<number>((listener) => {
      listener.end(new Error('refused'));
      return () => {
        stops += 1;
      };
    }, bounds);
    await expect(events.next()).rejects.toThrow('refused');
    expect(stops).toBe(1);
  });
});

describe('AsyncQueue.forward', () => {
  function forwarding(limit = 3) {
    const { q, ends } = queue(limit);
    const seen: Array<number | string> = [];
    let writable: Promise<void> | undefined;
    let makeWritable: () => void = () => undefined;
    const block = () => {
      writable = new Promise<void>((resolve) => {
        makeWritable = () => {
          writable = undefined;
          resolve();
        };
      });
    };
    const listener = {
      push: (value: number) => seen.push(value),
      end: (error?: Error) => seen.push(error === undefined ? 'end' : `end: ${error.message}`),
    };
    return { q, ends, seen, block, unblock: () => makeWritable(), start: () => q.forward(listener, () => writable) };
  }

  it('pushes what was buffered, then each value as it comes, then the end', () => {
    const { q, seen, start } = forwarding();
    q.push(1);
    q.push(2);
    start();
    expect(seen).toEqual([1, 2]);
    q.push(3);
    expect(seen).toEqual([1, 2, 3]);
    q.end();
    expect(seen).toEqual([1, 2, 3, 'end']);
  });

  it('holds values while the consumer is not writable, then pushes them in order, and the end after them', async () => {
    const { q, seen, start, block, unblock } = forwarding();
    start();
    block();
    q.push(1);
    q.push(2);
    q.end(new Error('boom'));
    expect(seen).toEqual([]);
    unblock();
    await Promise.resolve();
    expect(seen).toEqual([1, 2, 'end: boom']);
  });

  it('ends with the overflow error when a consumer that is not writable falls past the limit', () => {
    const { q, ends, seen, start, block } = forwarding(2);
    start();
    block();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(seen).toEqual(['end: overflow']);
    expect(ends).toEqual([1]);
    q.push(4);
    expect(seen).toEqual(['end: overflow']);
  });

  it('return() ends the forwarding once, without the buffered values', () => {
    const { q, seen, start, block } = forwarding();
    start();
    block();
    q.push(1);
    void q.return();
    void q.return();
    expect(seen).toEqual(['end']);
  });
});
