import { describe, expect, it } from 'vitest';
import { WriteBatcher } from '../../subgraphs/messages/services/write-batcher.js';

/** A batcher whose runs are recorded and finish only when the test says so. */
function recordingBatcher(options: { maxBatchSize?: number; maxInFlight?: number }) {
  const batches: number[][] = [];
  const finish: Array<() => void> = [];
  const batcher = new WriteBatcher<number, string>(async (inputs) => {
    batches.push(inputs);
    await new Promise<void>((resolve) => finish.push(resolve));
    return inputs.map((n) => (n < 0 ? new Error(`negative ${n}`) : `ok ${n}`));
  }, options);
  return { batcher, batches, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatcher', () => {
  it('sends the writes of one tick together, and later writes in the next batch while one is in flight', async () => {
    const { batcher, batches, finish } = recordingBatcher({ maxInFlight: 1 });
    const first = [1, 2, 3].map((n) => batcher.write(n));
    await tick();
    const second = [4, 5].map((n) => batcher.write(n));
    await tick();
    await tick();
    expect(batches).toEqual([[1, 2, 3]]); // 4 and 5 wait: one batch in flight at most
    finish.shift()?.();
    await Promise.all(first);
    await tick();
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    finish.shift()?.();
    expect(await Promise.all(second)).toEqual(['ok 4', 'ok 5']);
  });

  it('splits at maxBatchSize and runs up to maxInFlight batches at once', async () => {
    const { batcher, batches, finish } = recordingBatcher({ maxBatchSize: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => batcher.write(n));
    await tick();
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    finish.shift()?.();
    await tick();
    await tick();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    while (finish.length > 0) finish.shift()?.();
    await tick();
    finish.shift()?.();
    expect(await Promise.all(all)).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
  });

  it('rejects only the items whose result is an Error, and every item of a failed run', async () => {
    const { batcher, finish } = recordingBatcher({});
    const results = Promise.allSettled([batcher.write(1), batcher.write(-1)]);
    await tick();
    finish.shift()?.();
    const [good, bad] = await results;
    expect(good).toEqual({ status: 'fulfilled', value: 'ok 1' });
    expect(bad).toMatchObject({ status: 'rejected', reason: new Error('negative -1') });

    const failing = new WriteBatcher<number, number>(async () => {
      throw new Error('database down');
    });
    await expect(Promise.all([failing.write(1), failing.write(2)])).rejects.toThrow('database down');
  });

  it('runs a failed batch again in halves, so only the write that breaks it fails', async () => {
    const batches: number[][] = [];
    const batcher = new WriteBatcher<number, string>(async (inputs) => {
      batches.push(inputs);
      // All or nothing, like one transaction: a bad row fails the whole statement.
      if (inputs.some((n) => n === 3)) throw new Error('invalid byte sequence');
      return inputs.map((n) => `ok ${n}`);
    });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => batcher.write(n)));
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message))).toEqual([
      'ok 1',
      'ok 2',
      'invalid byte sequence',
      'ok 4',
      'ok 5',
    ]);
    expect(batches).toEqual([[1, 2, 3, 4, 5], [1, 2, 3], [4, 5], [1, 2], [3]]);
  });
});
