import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/kernel/logger.js';
import type { BatchedSocket } from '../../lib/realtime/batched-socket.js';
import { SERVICE_RESTART, socketDelivery } from '../../lib/realtime/event-delivery.js';
import { SerializedResults } from '../../lib/realtime/serialized-results.js';

function setup(options: { id?: string; bufferedAmount?: number } = {}) {
  const frames: Array<{ id: string; json: string }> = [];
  const closes: Array<[number, string]> = [];
  const counts: string[] = [];
  const nothing = () => undefined;
  const ignored = { socketOpened: nothing, socketClosed: nothing, subscriptionStarted: nothing, subscriptionEnded: nothing };
  const socket = {
    unsentBytes: options.bufferedAmount ?? 0,
    close: (code: number, reason: string) => closes.push([code, reason]),
    sendNext: (id: string, json: string) => frames.push({ id, json }),
  } as unknown as BatchedSocket;
  const writer = socketDelivery({
    socket,
    id: options.id ?? '7',
    serializedResults: new SerializedResults(),
    formatError: (error) =>
      error instanceof GraphQLError && error.originalError === undefined ? error : new GraphQLError('Unexpected error.'),
    maxUnsentBytes: 1000,
    logger: createLogger({ level: 'silent', pretty: false }),
    metrics: {
      ...ignored,
      delivered: () => counts.push('delivered'),
      dropped: (reason: string, count = 1) => counts.push(`${reason} ${count}`),
    },
  });
  return { writer, frames, closes, counts };
}

describe('socketDelivery', () => {
  it('writes a result as its JSON, serialized once per result object', () => {
    const { writer, frames, counts } = setup();
    const result = { data: { messageAdded: { body: 'hi' } } };
    let serialized = 0;
    const counted = {
      ...result,
      toJSON() {
        serialized += 1;
        return result;
      },
    };
    writer.write(counted);
    writer.write(counted);
    expect(frames).toEqual([
      { id: '7', json: '{"data":{"messageAdded":{"body":"hi"}}}' },
      { id: '7', json: '{"data":{"messageAdded":{"body":"hi"}}}' },
    ]);
    expect(serialized).toBe(1);
    expect(counts).toEqual(['delivered', 'delivered']);
  });

  it('masks errors as Yoga does', () => {
    const { writer, frames } = setup();
    writer.write({
      data: null,
      errors: [
        new GraphQLError('Forbidden', { extensions: { code: 'FORBIDDEN' } }),
        new GraphQLError('db', { originalError: new Error('SQL') }),
      ],
    });
    expect(JSON.parse(frames[0]?.json ?? '')).toEqual({
      data: null,
      errors: [{ message: 'Forbidden', extensions: { code: 'FORBIDDEN' } }, { message: 'Unexpected error.' }],
    });
  });

  it('closes a client too far behind with 1012 instead of writing', () => {
    const { writer, frames, closes, counts } = setup({ bufferedAmount: 1001 });
    writer.write({ data: { n: 1 } });
    expect(frames).toEqual([]);
    expect(closes).toEqual([[SERVICE_RESTART, 'Too far behind: reconnect and resume']]);
    expect(counts).toEqual(['client_behind 1']);
  });

  it('closes the socket with 1012 when a result cannot be written, so the client catches up', () => {
    const { writer, frames, closes, counts } = setup();
    writer.write({ data: { n: BigInt(1) } as unknown as Record<string, unknown> });
    expect(frames).toEqual([]);
    expect(closes).toEqual([[SERVICE_RESTART, 'Could not write an event: reconnect and resume']]);
    expect(counts).toEqual(['unwritable 1']);
  });

  it('writes ids that need JSON escapes as graphql-ws would', () => {
    const { writer, frames } = setup({ id: 'a"b\\c' });
    writer.write({ data: { n: 1 } });
    expect(frames).toEqual([{ id: 'a"b\\c', json: '{"data":{"n":1}}' }]);
  });

  it('has the client reconnect and resume when its source is lost', () => {
    const { writer, closes } = setup();
    writer.lost('Subgraph connection lost: reconnect and resume');
    expect(closes).toEqual([[SERVICE_RESTART, 'Subgraph connection lost: reconnect and resume']]);
  });
});
