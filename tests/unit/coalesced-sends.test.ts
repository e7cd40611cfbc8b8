import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { coalesceSends } from '../../lib/coalesced-sends.js';
import { SerializedResults } from '../../lib/serialized-results.js';
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

describe('coalesceSends', () => {
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
    socket.send(next('1', message));
    socket.send(next('2', message));
    socket.send(next('3', message));
    socket.send(next('1', { data: { other: true } }));
    socket.send(JSON.stringify({ id: '4', type: 'complete' }));
    socket.send(next('2', message));
    await until(() => frames.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(frames).toEqual([
      { id: '1', ids: ['2', '3'], type: 'next', payload: message },
      { id: '1', type: 'next', payload: { data: { other: true } } },
      { id: '4', type: 'complete' },
      { id: '2', type: 'next', payload: message },
    ]);
  });

  it('sends next frames written past graphql-ws (sendNext) in order with the others, merged alike', async () => {
    const connection = await connect(true);
    close = connection.close;
    const { socket, frames, sends } = connection;
    const payload = { data: { messageAdded: { body: 'direct' } } };
    sends.sendNext(socket, '1', JSON.stringify(payload));
    socket.send(next('2', payload));
    sends.sendNext(socket, '3', JSON.stringify(payload));
    socket.send(JSON.stringify({ id: '4', type: 'complete' }));
    sends.sendNext(socket, '5', JSON.stringify(payload));
    await until(() => frames.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(frames).toEqual([
      { id: '1', ids: ['2', '3'], type: 'next', payload },
      { id: '4', type: 'complete' },
      { id: '5', type: 'next', payload },
    ]);
    socket.terminate();
    await until(() => socket.readyState === WebSocket.CLOSED);
    expect(() => sends.sendNext(socket, '6', '{}')).not.toThrow();
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
    const { socket, frames } = connection;
    socket.send(next('1', { data: 1 }));
    socket.send(next('2', { data: 1 }));
    await until(() => frames.length >= 2);
    expect(frames).toEqual([
      { id: '1', type: 'next', payload: { data: 1 } },
      { id: '2', type: 'next', payload: { data: 1 } },
    ]);
  });

  it('acknowledges a send at once while little is waiting, and only after the write beyond that', async () => {
    const connection = await connect(false);
    close = connection.close;
    const { socket, frames } = connection;
    let acknowledged = false;
    socket.send(next('1', { data: 'small' }), () => {
      acknowledged = true;
    });
    // graphql-ws's server sends an operation's next event when this callback runs: at once.
    expect(acknowledged).toBe(true);

    // More than the early-ack allowance queued in one turn: the next callback waits for the write.
    const big = 'x'.repeat(1024 * 1024);
    socket.send(next('2', { data: big }));
    let bigAcknowledged = false;
    socket.send(next('3', { data: 'after' }), () => {
      bigAcknowledged = true;
    });
    expect(bigAcknowledged).toBe(false);
    await until(() => bigAcknowledged);
    await until(() => frames.length >= 3);
    expect((frames[2] as { id: string }).id).toBe('3');
  });
});

describe('SerializedResults with coalesceSends', () => {
  it('sends a shared result serialized once to every operation, and a stand-in only once, on its own socket', async () => {
    const serializedResults = new SerializedResults();
    const server = new WebSocketServer({ port: 0 });
    coalesceSends(server, { serializedResults });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sockets: WebSocket[] = [];
    server.on('connection', (socket) => sockets.push(socket));
    const frames: unknown[] = [];
    const clients = [new WebSocket(url), new WebSocket(url)];
    for (const client of clients) client.on('message', (data) => frames.push(JSON.parse(String(data))));
    await Promise.all(clients.map((client) => new Promise((resolve) => client.once('open', resolve))));
    await until(() => sockets.length === 2);
    const [first, second] = sockets as [WebSocket, WebSocket];

    const result = { data: { messageAdded: { body: 'shared' } } };
    let stringified = 0;
    const counted = {
      ...result,
      toJSON: () => {
        stringified += 1;
        return result;
      },
    };
    const standInA = serializedResults.standIn(first, counted);
    const standInB = serializedResults.standIn(second, counted);
    expect(stringified).toBe(1);
    first.send(next('1', standInA));
    second.send(next('7', standInB));
    // The same stand-in again, or on another socket, is not this socket's to expand: sent as is.
    first.send(next('2', standInB));
    await until(() => frames.length === 3);
    expect(frames).toContainEqual({ id: '1', type: 'next', payload: result });
    expect(frames).toContainEqual({ id: '7', type: 'next', payload: result });
    expect(frames).toContainEqual({ id: '2', type: 'next', payload: standInB });

    for (const client of clients) client.close();
    await new Promise((resolve) => server.close(resolve));
  });
});
