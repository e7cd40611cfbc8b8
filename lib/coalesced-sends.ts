import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import type { SerializedResults } from './serialized-results.js';

/**
 * The extension of graphql-transport-ws that lets one `next` frame carry the same payload for
 * several operations of a socket: `{"type":"next","id":"a","ids":["b","c"],"payload":{...}}` is
 * `next` with that payload for a, b and c. A client opts in with `{"mergedNext": true}` in its
 * connection_init payload; the gateway's upstream connections do (gateway/upstream-connection.ts).
 */
export const MERGED_NEXT_PARAM = 'mergedNext';

type SendCallback = (error?: Error) => void;

/** A `next` frame as graphql-ws's server writes it: JSON.stringify({ id, type, payload }). */
const NEXT_ID_START = '{"id":"';
const NEXT_AFTER_ID = '","type":"next","payload":';

/** Below this many bytes waiting in a socket, a send is acknowledged at once (see coalesceSends). */
const EARLY_ACK_BELOW_BYTES = 1024 * 1024;

/** Sends of one server's sockets: what coalesceSends returns. */
export interface CoalescedSends {
  /**
   * Sends `{"id":<id>,"type":"next","payload":<payloadJson>}` on `socket` as graphql-ws would,
   * batched and merged like every other frame, without going through graphql-ws's operation
   * loop (for events written straight to a client, gateway/direct-event-stream.ts). Ignored
   * once the socket is no longer open.
   */
  sendNext(socket: WebSocket, id: string, payloadJson: string): void;
  /**
   * Undefined while less than EARLY_ACK_BELOW_BYTES wait to be sent on `socket`; otherwise a
   * promise of the moment they have been sent (or the socket closed): what a producer writing
   * past graphql-ws waits for before its next event, as graphql-ws waits for each write.
   */
  whenWritable(socket: WebSocket): Promise<void> | undefined;
}

/**
 * Makes every socket of `server` gather the frames sent during one turn of the event loop
 * into a single write, and lets an operation send its next event without waiting for the
 * previous write.
 *
 * - Batching: the TCP socket is corked at the first send of a turn and uncorked in the check
 *   phase (one setImmediate for all the server's sockets), so the turn's frames leave in one
 *   writev instead of one system call each. Profiles showed a writev per frame as the largest
 *   single cost of both the messages subgraph and the gateway under fan-out.
 * - Early acknowledgement: graphql-ws's server waits for each frame's write callback before it
 *   sends the operation's next event, which allows one event per operation per turn however
 *   many are waiting. While less than EARLY_ACK_BELOW_BYTES wait to be sent (ws's
 *   `bufferedAmount`: the TCP socket's buffer and frames still being compressed), the
 *   callback runs at once instead, so a loaded server sends every waiting event of a turn in
 *   one write: the busier it is, the larger and cheaper its batches. Above that, the callback waits for
 *   the write as before: a slow reader holds back its own operations only, and their upstream
 *   queues are bounded (upstream-connection.ts, message-stream.ts).
 * - Shared serialization: a `next` payload that is a stand-in of `serializedResults`
 *   (lib/serialized-results.ts) is replaced by the result's JSON, serialized once.
 * - Merging (on sockets for which `mergesNext` is true): consecutive `next` frames with the
 *   same payload become one frame naming every operation (MERGED_NEXT_PARAM). Only consecutive
 *   frames merge, so nothing is reordered.
 *
 * When the loop is idle a turn is short, so a lone frame waits microseconds. Register before
 * graphql-ws's `useServer`, whose connection listener then sends through the wrapped `send`.
 */
export function coalesceSends(
  server: WebSocketServer,
  options: { mergesNext?: (socket: WebSocket) => boolean; serializedResults?: SerializedResults } = {},
): CoalescedSends {
  const { mergesNext = () => false, serializedResults } = options;
  const senders = new WeakMap<WebSocket, SocketSender>();
  /** Sockets corked in this turn, uncorked together in the check phase. */
  let corked: SocketSender[] = [];
  const flushAll = () => {
    const flushing = corked;
    corked = [];
    for (const sender of flushing) sender.flush();
  };
  const cork = (sender: SocketSender) => {
    if (corked.length === 0) setImmediate(flushAll);
    corked.push(sender);
  };

  server.on('connection', (webSocket: WebSocket, request: IncomingMessage) => {
    // The upgrade request's socket is the TCP socket ws writes its frames to.
    const sender = new SocketSender(webSocket, request.socket, () => mergesNext(webSocket), cork);
    senders.set(webSocket, sender);
    webSocket.send = ((data: unknown, optionsOrCallback?: unknown, maybeCallback?: SendCallback) => {
      const callback = (typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback) as SendCallback | undefined;
      const next = typeof data === 'string' ? parseNextFrame(data) : null;
      if (next === null) {
        sender.sendOther(data as string, callback);
        return;
      }
      const serialized = serializedResults?.take(webSocket, next.payload);
      sender.sendNext(next.id, serialized ?? next.payload, callback, serialized === undefined ? (data as string) : undefined);
    }) as WebSocket['send'];
  });

  return {
    sendNext(socket, id, payloadJson) {
      if (socket.readyState !== socket.OPEN) return;
      const sender = senders.get(socket);
      if (sender === undefined) socket.send(`${NEXT_ID_START}${id}${NEXT_AFTER_ID}${payloadJson}}`);
      else sender.sendNext(id, payloadJson, undefined, undefined);
    },
    whenWritable(socket) {
      if (socket.bufferedAmount < EARLY_ACK_BELOW_BYTES || socket.readyState !== socket.OPEN) return undefined;
      return senders.get(socket)?.drained();
    },
  };
}

/** One socket's batching and merging (see coalesceSends). */
class SocketSender {
  readonly #webSocket: WebSocket;
  readonly #tcp: Socket;
  readonly #merges: () => boolean;
  readonly #cork: (sender: SocketSender) => void;
  readonly #send: (data: string, callback?: SendCallback) => void;
  /** The run of consecutive `next` frames with one payload, not yet sent. */
  #run: { payload: string; ids: string[]; callbacks: SendCallback[] } | null = null;
  #corked = false;
  #drained: Promise<void> | undefined;

  constructor(webSocket: WebSocket, tcp: Socket, merges: () => boolean, cork: (sender: SocketSender) => void) {
    this.#webSocket = webSocket;
    this.#tcp = tcp;
    this.#merges = merges;
    this.#cork = cork;
    this.#send = webSocket.send.bind(webSocket) as (data: string, callback?: SendCallback) => void;
  }

  /** Any frame but `next`: ends the current run first, so order is kept. */
  sendOther(data: string, callback: SendCallback | undefined): void {
    if (this.#tcp.destroyed) {
      this.#send(data, callback);
      return;
    }
    this.#prepare();
    this.#sendRun();
    this.#send(data, this.#earlyAck(callback));
  }

  /** A `next` frame; `frame` is its text when already built as it should be sent. */
  sendNext(id: string, payload: string, callback: SendCallback | undefined, frame: string | undefined): void {
    if (this.#tcp.destroyed) {
      this.#send(frame ?? `${NEXT_ID_START}${id}${NEXT_AFTER_ID}${payload}}`, callback);
      return;
    }
    this.#prepare();
    const remaining = this.#earlyAck(callback);
    if (!this.#merges()) {
      this.#send(frame ?? `${NEXT_ID_START}${id}${NEXT_AFTER_ID}${payload}}`, remaining);
      return;
    }
    const run = this.#run;
    if (run !== null && run.payload === payload) {
      run.ids.push(id);
      if (remaining !== undefined) run.callbacks.push(remaining);
      return;
    }
    this.#sendRun();
    this.#run = { payload, ids: [id], callbacks: remaining === undefined ? [] : [remaining] };
  }

  /** Settles once what is buffered has been handed to the network (Node's `drain`), or the socket closed. */
  drained(): Promise<void> {
    if (this.#tcp.destroyed) return Promise.resolve();
    this.#drained ??= new Promise<void>((resolve) => {
      const done = () => {
        this.#tcp.off('drain', done);
        this.#tcp.off('close', done);
        this.#drained = undefined;
        resolve();
      };
      this.#tcp.on('drain', done);
      this.#tcp.on('close', done);
    });
    return this.#drained;
  }

  /** End of the turn: the run goes out, and the turn's frames leave in one write. */
  flush(): void {
    this.#sendRun();
    this.#corked = false;
    this.#tcp.uncork();
  }

  #prepare(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#tcp.cork();
    this.#cork(this);
  }

  /** Runs `callback` now while little is waiting (see coalesceSends); otherwise returns it, to wait for the write. */
  #earlyAck(callback: SendCallback | undefined): SendCallback | undefined {
    if (callback === undefined || this.#webSocket.bufferedAmount >= EARLY_ACK_BELOW_BYTES) return callback;
    callback();
    return undefined;
  }

  #sendRun(): void {
    const run = this.#run;
    if (run === null) return;
    this.#run = null;
    const { payload, ids, callbacks } = run;
    const [first, ...rest] = ids;
    const frame =
      rest.length === 0
        ? `${NEXT_ID_START}${first}${NEXT_AFTER_ID}${payload}}`
        : `{"id":${JSON.stringify(first)},"ids":${JSON.stringify(rest)},"type":"next","payload":${payload}}`;
    this.#send(frame, (error) => {
      for (const callback of callbacks) callback(error);
    });
  }
}

/** The id and payload JSON of a graphql-ws `next` frame, without parsing the payload; null for other frames. */
function parseNextFrame(frame: string): { id: string; payload: string } | null {
  if (!frame.startsWith(NEXT_ID_START)) return null;
  const idEnd = frame.indexOf('"', NEXT_ID_START.length);
  if (idEnd < 0 || !frame.startsWith(NEXT_AFTER_ID, idEnd)) return null;
  const id = frame.slice(NEXT_ID_START.length, idEnd);
  // Ids with escapes would need JSON decoding; graphql-ws clients use plain ones.
  if (id.includes('\\')) return null;
  return { id, payload: frame.slice(idEnd + NEXT_AFTER_ID.length, -1) };
}
