import { buildSchema, type ExecutionResult, type GraphQLObjectType, type GraphQLSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SharedExecutions } from '../../lib/realtime/shared-executions.js';
import { subscribeWithContextPerEvent } from '../../lib/realtime/subscribe-per-event.js';

/** A schema whose subscription yields the given event objects, counting how often a field resolves. */
function tickSchema(events: object[], counter: { resolved: number; contexts: Set<unknown> }): GraphQLSchema {
  const schema = buildSchema('type Query { ok: Boolean } type Tick { n: Int } type Subscription { tick: Tick }');
  const tick = schema.getSubscriptionType()?.getFields().tick;
  const n = (schema.getType('Tick') as GraphQLObjectType).getFields().n;
  if (tick === undefined || n === undefined) throw new Error('schema');
  tick.subscribe = async function* () {
    for (const event of events) yield event;
  };
  tick.resolve = (event: unknown) => event;
  n.resolve = (value: { n: number }, _args: unknown, context: unknown) => {
    counter.resolved += 1;
    counter.contexts.add(context);
    return value.n;
  };
  return schema;
}

async function collect(iterator: AsyncIterableIterator<ExecutionResult> | ExecutionResult): Promise<unknown[]> {
  if (!(Symbol.asyncIterator in iterator)) throw new Error('expected a stream');
  const out: unknown[] = [];
  for await (const result of iterator) out.push(result.data);
  return out;
}

describe('subscribeWithContextPerEvent', () => {
  const document = parse('subscription { tick { n } }');

  it('runs each event with a fresh context', async () => {
    const counter = { resolved: 0, contexts: new Set<unknown>() };
    const schema = tickSchema([{ n: 1 }, { n: 2 }], counter);
    let made = 0;
    const data = await collect(
      await subscribeWithContextPerEvent({ schema, document, contextValue: {} }, () => ({ id: ++made })),
    );
    expect(data).toEqual([{ tick: { n: 1 } }, { tick: { n: 2 } }]);
    expect(counter.contexts.size).toBe(2);
  });

  it('shares one execution per event object among subscriptions with the same share key, and only then', async () => {
    const events = [{ n: 1 }, { n: 2 }];
    const counter = { resolved: 0, contexts: new Set<unknown>() };
    const schema = tickSchema(events, counter);
    const executions = new SharedExecutions();
    const subscribe = (shareKey: string | null) =>
      subscribeWithContextPerEvent({ schema, document, contextValue: {} }, () => ({}), {
        shared: shareKey === null ? undefined : { executions, operationKey: shareKey },
      });

    const shared = await Promise.all([collect(await subscribe('same')), collect(await subscribe('same'))]);
    expect(shared).toEqual([
      [{ tick: { n: 1 } }, { tick: { n: 2 } }],
      [{ tick: { n: 1 } }, { tick: { n: 2 } }],
    ]);
    expect(counter.resolved).toBe(2); // two events, executed once each

    counter.resolved = 0;
    await Promise.all([collect(await subscribe(null)), collect(await subscribe(null))]);
    expect(counter.resolved).toBe(4); // not shareable: once per subscription and event
  });
});
