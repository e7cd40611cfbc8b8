import type { FormattedExecutionResult } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { ResumingUpstream } from '../../gateway/resuming-upstream.js';
import { type OperationListener, UpstreamLost, UpstreamRefusal } from '../../gateway/upstream-connection.js';
import { until } from '../support/until.js';

/** An upstream the test drives: each `open` is recorded with its position and listener. */
function fakeUpstream() {
  const opens: { position: string | null; listener: OperationListener; stopped: boolean }[] = [];
  return {
    opens,
    open(position: string | null, listener: OperationListener) {
      const entry = { position, listener, stopped: false };
      opens.push(entry);
      return () => {
        entry.stopped = true;
      };
    },
  };
}

const event = (id: string): FormattedExecutionResult => ({ data: { m: { id } } });
const positionOf = (e: FormattedExecutionResult) => ((e.data as { m: { id: string } } | undefined)?.m.id ?? undefined) as string;

function downstream() {
  const received: string[] = [];
  const ended: (Error | undefined)[] = [];
  return {
    received,
    ended,
    listener: { push: (e: FormattedExecutionResult) => received.push(positionOf(e)), end: (error?: Error) => ended.push(error) },
  };
}

const fast = { firstDelayMs: 1, maxDelayMs: 4, windowMs: 200 };

describe('ResumingUpstream', () => {
  it('subscribes again from the last event after a lost connection, dropping what the replay repeats', async () => {
    const upstream = fakeUpstream();
    const down = downstream();
    new ResumingUpstream({
      open: upstream.open,
      positionOf,
      initialPosition: null,
      downstream: down.listener,
      mayResume: () => true,
      policy: fast,
    });
    expect(upstream.opens.map((open) => open.position)).toEqual([null]);
    upstream.opens[0]?.listener.push(event('a'));
    upstream.opens[0]?.listener.push(event('b'));
    upstream.opens[0]?.listener.end(new UpstreamLost('socket closed'));
    await until(() => upstream.opens.length === 2);
    expect(upstream.opens[1]?.position).toBe('b');
    // A replay across conversations may send an event again: it is passed on once.
    upstream.opens[1]?.listener.push(event('b'));
    upstream.opens[1]?.listener.push(event('c'));
    expect(down.received).toEqual(['a', 'b', 'c']);
    expect(down.ended).toEqual([]);
  });

  it('resumes from the client’s own `after` before any event, and gives up after the window', async () => {
    const upstream = fakeUpstream();
    const down = downstream();
    const outcomes: string[] = [];
    new ResumingUpstream({
      open: upstream.open,
      positionOf,
      initialPosition: 'm0',
      downstream: down.listener,
      mayResume: () => true,
      policy: fast,
      onResume: (outcome) => outcomes.push(outcome),
    });
    const lost = new UpstreamLost('refused');
    // The subgraph stays unreachable: every attempt fails at once.
    for (let attempt = 0; down.ended.length === 0; attempt += 1) {
      await until(() => upstream.opens.length > attempt, 1000);
      expect(upstream.opens[attempt]?.position).toBe('m0');
      upstream.opens[attempt]?.listener.end(lost);
    }
    expect(down.ended).toEqual([lost]);
    expect(outcomes.at(-1)).toBe('gave_up');
    expect(outcomes.filter((outcome) => outcome === 'resubscribed').length).toBe(upstream.opens.length - 1);
  });

  it('ends at once on a refusal, on a loss with no position, and while the gateway closes', () => {
    for (const [initialPosition, error, mayResume] of [
      ['m0', new UpstreamRefusal([{ message: 'no' }]), true],
      [null, new UpstreamLost('lost'), true],
      ['m0', new UpstreamLost('lost'), false],
    ] as const) {
      const upstream = fakeUpstream();
      const down = downstream();
      new ResumingUpstream({
        open: upstream.open,
        positionOf,
        initialPosition,
        downstream: down.listener,
        mayResume: () => mayResume,
        policy: fast,
      });
      upstream.opens[0]?.listener.end(error);
      expect(down.ended).toEqual([error]);
      expect(upstream.opens).toHaveLength(1);
    }
  });

  it('stops the current operation and any pending attempt when the subscriber leaves', async () => {
    const upstream = fakeUpstream();
    const down = downstream();
    const resuming = new ResumingUpstream({
      open: upstream.open,
      positionOf,
      initialPosition: 'm0',
      downstream: down.listener,
      mayResume: () => true,
      policy: { firstDelayMs: 50, maxDelayMs: 50, windowMs: 1000 },
    });
    upstream.opens[0]?.listener.end(new UpstreamLost('lost'));
    await until(() => upstream.opens.length === 2);
    upstream.opens[1]?.listener.end(new UpstreamLost('lost'));
    resuming.stop();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(upstream.opens).toHaveLength(2);
    expect(down.ended).toEqual([]);
  });
});
