import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DirectEventStream } from '../../lib/realtime/direct-event-stream.js';
import { PendingResult } from '../../lib/realtime/pending-result.js';

/** A result whose execution the test finishes by hand. */
function deferred(data: Record<string, unknown>) {
  let finish: () => void = () => undefined;
  const pending = new PendingResult(
    new Promise<ExecutionResult>((resolve) => {
      finish = () => resolve({ data });
    }),
  );
  return { pending, finish };
}

const ready = (data: Record<string, unknown>) => new PendingResult(Promise.resolve({ data }));
const settle = () => new Promise((resolve) => setImmediate(resolve));

function recordingStream() {
  const written: unknown[] = [];
  const stream = new DirectEventStream({ write: (result) => written.push(result.data) });
  return { stream, written };
}

describe('DirectEventStream', () => {
  it('writes events in arrival order even when a later execution finishes first', async () => {
    const { stream, written } = recordingStream();
    const first = deferred({ n: 1 });
    const second = deferred({ n: 2 });
    stream.push(first.pending);
    stream.push(second.pending);
    stream.push(ready({ n: 3 }));
    second.finish();
    await settle();
    expect(written).toEqual([]);
    first.finish();
    await settle();
    expect(written).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('shares one pending result among streams, each writing it once', async () => {
    const a = recordingStream();
    const b = recordingStream();
    const shared = deferred({ n: 1 });
    a.stream.push(shared.pending);
    b.stream.push(shared.pending);
    shared.finish();
    await settle();
    expect(a.written).toEqual([{ n: 1 }]);
    expect(b.written).toEqual([{ n: 1 }]);
  });

  it('finishes only after the events pushed before the end, then yields the final result once', async () => {
    const { stream, written } = recordingStream();
    const event = deferred({ n: 1 });
    stream.push(event.pending);
    const next = stream.next();
    stream.end({ errors: [] });
    stream.push(ready({ n: 2 })); // after the end: ignored
    let settled = false;
    void next.then(() => {
      settled = true;
    });
    await settle();
    expect(settled).toBe(false);
    event.finish();
    expect(await next).toEqual({ done: false, value: { errors: [] } });
    expect(written).toEqual([{ n: 1 }]);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('throws an upstream failure after the events pushed before it, then is done', async () => {
    const { stream, written } = recordingStream();
    const event = deferred({ n: 1 });
    stream.push(event.pending);
    stream.fail(new Error('too far behind'));
    const next = stream.next();
    event.finish();
    await expect(next).rejects.toThrow('too far behind');
    expect(written).toEqual([{ n: 1 }]);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('ends without a value when the upstream completes', async () => {
    const { stream } = recordingStream();
    stream.end();
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('stops writing and stops the upstream at once on return()', async () => {
    const { stream, written } = recordingStream();
    let stopped = 0;
    stream.onReturn = () => {
      stopped += 1;
    };
    const event = deferred({ n: 1 });
    stream.push(event.pending);
    const next = stream.next();
    await stream.return();
    event.finish();
    stream.push(ready({ n: 2 }));
    await settle();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(written).toEqual([]);
    expect(stopped).toBe(1);
    await stream.return();
    expect(stopped).toBe(1);
  });
});
