import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { BatchedSocket, TurnBatches } from '../../lib/realtime/batched-socket.js';
import { until } from '../support/until.js';

/** A batched server socket and a raw client that records every frame it receives. */
async function connect(mergesNext: boolean) {
  const server = new WebSocketServer({ port: 0 });
  const turn = new TurnBatches();
  const accepted = new Promise<BatchedSocket>((resolve) =>
    server.once('connection', (webSocket: WebSocket, request: IncomingMessage) => {
      const batched = new BatchedSocket(webSocket, request.socket, turn);
      batched.mergesNext = mergesNext;
      resolve(batched);
    }),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const frames: unknown[] = [];
  client.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve) => client.once('open', resolve));
  const socket = await accepted;
  const close = async () => {
    client.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { socket, frames, close };
}

const next = (id: string, payload: unknown) => JSON.stringify({ id, type: 'next', payload });

/**
 * Sends a last frame the way graphql-ws does and waits for the client to get it: frames keep
 * their order, so every frame sent before it has arrived too. Leaves `frames` without it.
 */
async function untilSentinel(socket: BatchedSocket, frames: unknown[]): Promise<void> {
  const sentinel = { type: 'pong', payload: { sentinel: true } };
  await socket.send(JSON.stringify(sentinel));
  const isSentinel = (frame: unknown) => JSON.stringify(frame) === JSON.stringify(sentinel);
  await until(() => frames.some(isSentinel));
  frames.splice(frames.findIndex(isSentinel), 1);
}

describe('BatchedSocket', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('merges consecutive next frames with one payload into one frame, in order, when the client asked for it', async () => {
    const connection = await connect(true);
    close = connection.close;
    const { socket, frames } = connection;
    const message = { data: { messageAdded: { body: 'hi "there"' } } };
    const json = JSON.stringify(message);
    socket.sendNext('1', json);
    socket.sendNext('2', json);
    socket.sendNext('3', json);
    socket.sendNext('1', JSON.stringify({ data: { other: true } }));
    void socket.send(JSON.stringify({ id: '4', type: 'complete' }));
    socket.sendNext('2', json);
    await untilSentinel(socket, frames);
    expect(frames).toEqual([
      { id: '1', ids: ['2', '3'], type: 'next', payload: message },
      { id: '1', type: 'next', payload: { data: { other: true } } },
      { id: '4', type: 'complete' },
      { id: '2', type: 'next', payload: message },
    ]);
    socket.webSocket.terminate();
    await until(() => !socket.open);
    expect(() => socket.sendNext('6', '{}')).not.toThrow();
    await expect(socket.send('{"type":"ping"}')).resolves.toBeUndefined();
  });

  it("keeps graphql-ws's own frames in order between merged ones, without merging them", async () => {
    const connection = await connect(true);
    close = connection.close;
    const { socket, frames } = connection;
    const payload = { data: { messageAdded: { body: 'direct' } } };
    socket.sendNext('1', JSON.stringify(payload));
    socket.sendNext('3', JSON.stringify(payload));
    void socket.send(next('2', payload));
    socket.sendNext('5', JSON.stringify(payload));
    await untilSentinel(socket, frames);
    expect(frames).toEqual([
      { id: '1', ids: ['3'], type: 'next', payload },
      { id: '2', type: 'next', payload },
      { id: '5', type: 'next', payload },
    ]);
  });

  it('tells a producer to wait while more than a megabyte waits to be sent, until it is sent', async () => {
    const connection = await connect(false);
    close = connection.close;
    const { socket, frames } = connection;
    expect(socket.whenWritable()).toBeUndefined();
    const big = JSON.stringify({ data: { body: 'x'.repeat(64 * 1024) } });
    for (let i = 0; i < 20; i += 1) socket.sendNext(String(i), big);
    const writable = socket.whenWritable();
    expect(writable).toBeInstanceOf(Promise);
    await writable;
    expect(socket.unsentBytes).toBeLessThan(1024 * 1024);
    await until(() => frames.length === 20);
    expect(socket.whenWritable()).toBeUndefined();
  });

  it('sends every frame as it is without the opt-in', async () => {
    const connection = await connect(false);
    close = connection.close;
    const { socket, frames } = connection;
    socket.sendNext('1', '{"data":1}');
    socket.sendNext('2', '{"data":1}');
    void socket.send(next('3', { data: 1 }));
    socket.sendNext('a"b\\c', '{"data":2}');
    await until(() => frames.length >= 4);
    expect(frames).toEqual([
      { id: '1', type: 'next', payload: { data: 1 } },
      { id: '2', type: 'next', payload: { data: 1 } },
      { id: '3', type: 'next', payload: { data: 1 } },
      { id: 'a"b\\c', type: 'next', payload: { data: 2 } },
    ]);
  });
});
