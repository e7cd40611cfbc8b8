import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { PULLED_EVENT_BOUNDS, UpstreamConnection, UpstreamLost, UpstreamRefusal } from '../../gateway/upstream-connection.js';
import { pulled } from '../../lib/realtime/async-queue.js';
import { until } from '../support/until.js';

/** An operation's events pulled, as the gateway pulls them for SSE. */
const pulledFrom = (connection: UpstreamConnection, payload: Parameters<UpstreamConnection['listen']>[0]) =>
  pulled((listener) => connection.listen(payload, listener), PULLED_EVENT_BOUNDS);

interface Received {
  type: string;
  id?: string;
  payload?: unknown;
}

/** A scripted graphql-transport-ws server: records what the client sends, acks when told. */
async function fakeSubgraph(options: { ack: boolean }) {
  const server = new WebSocketServer({ port: 0 });
  const received: Received[] = [];
  let socket: WebSocket | undefined;
  let acknowledge: () => void = () => undefined;
  server.on('connection', (connection) => {
    socket = connection;
    connection.on('message', (data) => {
      const message = JSON.parse(String(data)) as Received;
      received.push(message);
      if (message.type === 'connection_init') {
        acknowledge = () => {
          connection.send('{"type":"connection_ack"}');
        };
        if (options.ack) acknowledge();
      }
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Ids of the operations subscribed so far, in order. */
    subscribedIds: () => received.filter((m) => m.type === 'subscribe').map((m) => m.id as string),
    send: (message: unknown) => socket?.send(JSON.stringify(message)),
    acknowledge: () => acknowledge(),
    dropSocket: () => socket?.terminate(),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const payload = { query: 'subscription { tick }', variables: {}, extensions: { authorization: 'Bearer t' } };

describe('UpstreamConnection', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function open(ack = true) {
    const subgraph = await fakeSubgraph({ ack });
    const connection = new UpstreamConnection({ url: subgraph.url, idleCloseMs: 50, keepAliveMs: 10_000, onClosed: () => {} });
    cleanups.push(() => connection.close(), subgraph.close);
    return { subgraph, connection };
  }

  it('asks for merged frames and hands one merged payload, as one object, to every operation it names', async () => {
    const { subgraph, connection } = await open();
    const first = pulledFrom(connection, payload);
    const second = pulledFrom(connection, payload);
    const third = pulledFrom(connection, payload);
    await until(() => subgraph.subscribedIds().length === 3);
    expect(subgraph.received[0]).toEqual({ type: 'connection_init', payload: { mergedNext: true } });
    const ids = subgraph.subscribedIds();
    expect(subgraph.received.find((m) => m.id === ids[0])?.payload).toEqual(payload);

    subgraph.send({ id: ids[0], ids: [ids[2]], type: 'next', payload: { data: { tick: 1 } } });
    subgraph.send({ id: ids[1], type: 'next', payload: { data: { tick: 2 } } });
    const [a, b, c] = await Promise.all([first.next(), second.next(), third.next()]);
    expect(a.value).toEqual({ data: { tick: 1 } });
    expect(c.value).toBe(a.value);
    expect(b.value).toEqual({ data: { tick: 2 } });
  });

  it('ends an operation with UpstreamRefusal on `error`, done on `complete`, and sends `complete` when the consumer stops', async () => {
    const { subgraph, connection } = await open();
    const refused = pulledFrom(connection, payload);
    const completed = pulledFrom(connection, payload);
    const stopped = pulledFrom(connection, payload);
    await until(() => subgraph.subscribedIds().length === 3);
    const [refusedId, completedId, stoppedId] = subgraph.subscribedIds();

    subgraph.send({ id: refusedId, type: 'error', payload: [{ message: 'Nope', extensions: { code: 'FORBIDDEN' } }] });
    const error = await refused.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamRefusal);
    expect((error as UpstreamRefusal).errors).toEqual([{ message: 'Nope', extensions: { code: 'FORBIDDEN' } }]);

    subgraph.send({ id: completedId, type: 'complete' });
    expect(await completed.next()).toEqual({ done: true, value: undefined });

    await stopped.return?.();
    await until(() => subgraph.received.some((m) => m.type === 'complete'));
    // Only the operation the gateway stopped: the subgraph ended the others itself.
    expect(subgraph.received.filter((m) => m.type === 'complete').map((m) => m.id)).toEqual([stoppedId]);
  });

  it('never sends the subscribe of an operation stopped before the ack', async () => {
    const { subgraph, connection } = await open(false);
    const stopped = pulledFrom(connection, payload);
    const kept = pulledFrom(connection, payload);
    await until(() => subgraph.received.some((m) => m.type === 'connection_init'));
    await stopped.return?.();
    subgraph.acknowledge();
    await until(() => subgraph.subscribedIds().length > 0);
    // A window for a wrong second subscribe to arrive: what is tested is that none does.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(subgraph.subscribedIds()).toHaveLength(1);
    expect(subgraph.received.some((m) => m.type === 'complete')).toBe(false);
    await kept.return?.();
  });

  it('fails live operations with UpstreamLost when the socket drops, and reconnects for the next one', async () => {
    const { subgraph, connection } = await open();
    const live = pulledFrom(connection, payload);
    await until(() => subgraph.subscribedIds().length > 0);
    subgraph.dropSocket();
    await expect(live.next()).rejects.toBeInstanceOf(UpstreamLost);

    const later = pulledFrom(connection, payload);
    await until(() => subgraph.subscribedIds().length === 2);
    const laterId = subgraph.subscribedIds()[1];
    subgraph.send({ id: laterId, type: 'next', payload: { data: { tick: 3 } } });
    expect((await later.next()).value).toEqual({ data: { tick: 3 } });
  });
});
