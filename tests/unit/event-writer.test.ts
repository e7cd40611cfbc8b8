import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createLogger } from '../../lib/kernel/logger.js';
import type { CoalescedSends } from '../../lib/realtime/coalesced-sends.js';
import { createEventWriter, SERVICE_RESTART } from '../../lib/realtime/event-writer.js';
import { SerializedResults } from '../../lib/realtime/serialized-results.js';

function setup(options: { id?: string; bufferedAmount?: number } = {}) {
  const frames: Array<{ id: string; json: string }> = [];
  const closes: Array<[number, string]> = [];
  const socket = {
    bufferedAmount: options.bufferedAmount ?? 0,
    close: (code: number, reason: string) => closes.push([code, reason]),
  } as unknown as WebSocket;
  const sends: CoalescedSends = {
    sendNext: (_socket, id, json) => frames.push({ id, json }),
    whenWritable: () => undefined,
  };
  const writer = createEventWriter({
    socket,
    id: options.id ?? '7',
    sends,
    serializedResults: new SerializedResults(),
    formatError: (error) =>
      error instanceof GraphQLError && error.originalError === undefined ? error : new GraphQLError('Unexpected error.'),
    maxUnsentBytes: 1000,
    logger: createLogger({ level: 'silent', pretty: false }),
  });
  return { writer, frames, closes };
}

describe('createEventWriter', () => {
  it('writes a result as its JSON, serialized once per result object', () => {
    const { writer, frames } = setup();
    const result = { data: { messageAdded: { body: 'hi' } } };
    let serialized = 0;
    const counted = {
      ...result,
      toJSON() {
        serialized += 1;
        return result;
      },
    };
    writer?.write(counted);
    writer?.write(counted);
    expect(frames).toEqual([
      { id: '7', json: '{"data":{"messageAdded":{"body":"hi"}}}' },
      { id: '7', json: '{"data":{"messageAdded":{"body":"hi"}}}' },
    ]);
    expect(serialized).toBe(1);
  });

  it('masks errors as Yoga does', () => {
    const { writer, frames } = setup();
    writer?.write({
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
    const { writer, frames, closes } = setup({ bufferedAmount: 1001 });
    writer?.write({ data: { n: 1 } });
    expect(frames).toEqual([]);
    expect(closes).toEqual([[SERVICE_RESTART, 'Too far behind: reconnect and resume']]);
  });

  it('closes the socket with 1012 when a result cannot be written, so the client catches up', () => {
    const { writer, frames, closes } = setup();
    writer?.write({ data: { n: BigInt(1) } as unknown as Record<string, unknown> });
    expect(frames).toEqual([]);
    expect(closes).toEqual([[SERVICE_RESTART, 'Could not write an event: reconnect and resume']]);
  });

  it('leaves ids that need JSON escapes to graphql-ws', () => {
    expect(setup({ id: 'a"b' }).writer).toBeUndefined();
    expect(setup({ id: 'a\\b' }).writer).toBeUndefined();
  });
});
