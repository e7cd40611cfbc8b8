import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { coalesceSends } from '../../lib/realtime/coalesced-sends.js';
import { until } from '../support/until.js';

/** A server socket with coalesced sends and a raw client that records every frame it receives. */
async function connect(mergesNext: boolean) {
  const server = new WebSocketServer({ port: 0 });
  const sends = coalesceSends(server, { mergesNext: () => mergesNext });
  const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const frames: unknown[] = [];
  client.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve) => client.once('open', resolve));
  const socket = await accepted;
  const close = async () => {
    client.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { socket, frames, close, sends };
}

const next = (id: string, payload: unknown) => JSON.stringify({ id, type: 'next', payload });

/**
 * Sends a last frame the way graphql-ws does and waits for the client to get it: frames keep
 * their order, so every frame sent before it has arrived too. Leaves `frames` without it.
 */
async function untilSentinel(socket: WebSocket, frames: unknown[]): Promise<void> {
  const sentinel = { type: 'pong', payload: { sentinel: true } };
  socket.send(JSON.stringify(sentinel));
  const isSentinel = (frame: unknown) => JSON.stringify(frame) === JSON.stringify(sentinel);
  await until(() => frames.some(isSentinel));
  frames.splice(frames.findIndex(isSentinel), 1);
}

describe('coalesceSends', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('merges consecutive next frames with one payload into one frame, in order, when the client asked for it', async () => {
    const connection = await connect(true);
    close = connection.close;
    const { socket, frames, sends } = connection;
    const message = { data: { messageAdded: { body: 'hi "there"' } } };
    const json = JSON.stringify(message);
    sends.sendNext(socket, '1', json);
    sends.sendNext(socket, '2', json);
    sends.sendNext(socket, '3', json);
    sends.sendNext(socket, '1', JSON.stringify({ data: { other: true } }));
    socket.send(JSON.stringify({ id: '4', type: 'complete' }));
    sends.sendNext(socket, '2', json);
    await untilSentinel(socket, frames);
    expect(frames).toEqual([
      { id: '1', ids: ['2', '3'], type: 'next', payload: message },
      { id: '1', type: 'next', payload: { data: { other: true } } },
      { id: '4', type: 'complete' },
      { id: '2', type: 'next', payload: message },
    ]);
    socket.terminate();
    await until(() => socket.readyState === WebSocket.CLOSED);
    expect(() => sends.sendNext(socket, '6', '{}')).not.toThrow();
  });

  it("keeps graphql-ws's own frames in order between merged ones, without merging them", async () => {
    const connection = await connect(true);
    close = connection.close;
    const { socket, frames, sends } = connection;
    const payload = { data: { messageAdded: { body: 'direct' } } };
    sends.sendNext(socket, '1', JSON.stringify(payload));
    sends.sendNext(socket, '3', JSON.stringify(payload));
    socket.send(next('2', payload));
    sends.sendNext(socket, '5', JSON.stringify(payload));
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
    const { socket, frames, sends } = connection;
    expect(sends.whenWritable(socket)).toBeUndefined();
    const big = JSON.stringify({ data: { body: 'x'.repeat(64 * 1024) } });
    for (let i = 0; i < 20; i += 1) sends.sendNext(socket, String(i), big);
    const writable = sends.whenWritable(socket);
    expect(writable).toBeInstanceOf(Promise);
    await writable;
    expect(socket.bufferedAmount).toBeLessThan(1024 * 1024);
    await until(() => frames.length === 20);
    expect(sends.whenWritable(socket)).toBeUndefined();
  });

  it('sends every frame as it is without the opt-in', async () => {
    const connection = await connect(false);
    close = connection.close;
    const { socket, frames, sends } = connection;
    sends.sendNext(socket, '1', '{"data":1}');
    sends.sendNext(socket, '2', '{"data":1}');
    socket.send(next('3', { data: 1 }));
    await until(() => frames.length >= 3);
    expect(frames).toEqual([
      { id: '1', type: 'next', payload: { data: 1 } },
      { id: '2', type: 'next', payload: { data: 1 } },
      { id: '3', type: 'next', payload: { data: 1 } },
    ]);
  });
});
