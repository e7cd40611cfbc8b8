import { describe, expect, it } from 'vitest';
import { SharedExecutions } from '../../lib/realtime/shared-executions.js';

describe('SharedExecutions', () => {
  const counted = () => {
    const runs = { count: 0 };
    return { runs, run: () => ({ data: { n: ++runs.count } }) };
  };

  it('runs an event once per operation for every subscriber holding the same event object', async () => {
    const shared = new SharedExecutions();
    const { runs, run } = counted();
    const event = { message: 'm1' };
    const first = shared.resultOf(event, 'op', run);
    expect(shared.resultOf(event, 'op', run)).toBe(first);
    expect(shared.resultOf(event, 'other op', run)).not.toBe(first);
    expect(runs.count).toBe(2);
    expect(await first.promise).toEqual({ data: { n: 1 } });
  });

  it('finds equal events that arrive as separate objects by their JSON, when told how', () => {
    const shared = new SharedExecutions();
    const { runs, run } = counted();
    const a = { data: { message: 'm2' } };
    const b = { data: { message: 'm2' } };
    const json = (event: typeof a) => () => JSON.stringify(event.data);
    expect(shared.resultOf(b, 'op', run, json(b))).toBe(shared.resultOf(a, 'op', run, json(a)));
    expect(runs.count).toBe(1);
    // Without a JSON name, separate objects are separate events.
    shared.resultOf({ data: { message: 'm3' } }, 'op', run);
    shared.resultOf({ data: { message: 'm3' } }, 'op', run);
    expect(runs.count).toBe(3);
  });
});
