import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import { mergedNextFrame, nextFrame } from './frames.js';

type SendCallback = (error?: Error) => void;

/** Above this many bytes waiting in a socket, a producer writing events waits (whenWritable). */
const WRITABLE_BELOW_BYTES = 1024 * 1024;

/** Sends of one server's sockets: what coalesceSends returns. */
export interface CoalescedSends {
  /**
   * Sends `{"id":<id>,"type":"next","payload":<payloadJson>}` on `socket` as graphql-ws would,
   * batched with every other frame, without going through graphql-ws's operation loop (for
   * events written straight to a client, lib/realtime/direct-event-stream.ts). Ignored once the socket
   * is no longer open.
   */
  sendNext(socket: WebSocket, id: string, payloadJson: string): void;
  /**
   * Undefined while less than WRITABLE_BELOW_BYTES wait to be sent on `socket`; otherwise a
   * promise of the moment they have been sent (or the socket closed): what a producer writing
   * past graphql-ws waits for before its next event, as graphql-ws waits for each write.
   */
  whenWritable(socket: WebSocket): Promise<void> | undefined;
}

/**
 * Makes every socket of `server` gather the frames sent during one turn of the event loop
 * into a single write, and merges the events written with `sendNext`.
 *
 * - Batching: the TCP socket is corked at the first send of a turn and uncorked in the check
 *   phase (one setImmediate for all the server's sockets), so the turn's frames leave in one
 *   writev instead of one system call each. Profiles showed a writev per frame as the largest
 *   single cost of both the messages subgraph and the gateway under fan-out.
 * - Merging (on sockets for which `mergesNext` is true): consecutive `sendNext` frames with the
 *   same payload become one frame naming every operation (lib/realtime/frames.ts). Any other frame
 *   (graphql-ws's own: `complete`, `error`, a query's result) ends the run first, so nothing is
 *   reordered.
 *
 * When the loop is idle a turn is short, so a lone frame waits microseconds. Register before
 * graphql-ws's `useServer`, whose connection listener then sends through the wrapped `send`.
 */
export function coalesceSends(
  server: WebSocketServer,
  options: { mergesNext?: (socket: WebSocket) => boolean } = {},
): CoalescedSends {
  const { mergesNext = () => false } = options;
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
      sender.sendOther(data as string, callback);
    }) as WebSocket['send'];
  });

  return {
    sendNext(socket, id, payloadJson) {
      if (socket.readyState !== socket.OPEN) return;
      const sender = senders.get(socket);
      if (sender === undefined) socket.send(nextFrame(id, payloadJson));
      else sender.sendNext(id, payloadJson);
    },
    whenWritable(socket) {
      if (socket.bufferedAmount < WRITABLE_BELOW_BYTES || socket.readyState !== socket.OPEN) return undefined;
      return senders.get(socket)?.drained();
    },
  };
}

/** One socket's batching and merging (see coalesceSends). */
class SocketSender {
  readonly #tcp: Socket;
  readonly #merges: () => boolean;
  readonly #cork: (sender: SocketSender) => void;
  readonly #send: (data: string, callback?: SendCallback) => void;
  /** The run of consecutive `next` frames with one payload, not yet sent. */
  #run: { payload: string; ids: string[] } | null = null;
  #corked = false;
  #drained: Promise<void> | undefined;

  constructor(webSocket: WebSocket, tcp: Socket, merges: () => boolean, cork: (sender: SocketSender) => void) {
    this.#tcp = tcp;
    this.#merges = merges;
    this.#cork = cork;
    this.#send = webSocket.send.bind(webSocket) as (data: string, callback?: SendCallback) => void;
  }

  /** Any frame graphql-ws sends: ends the current run first, so order is kept. */
  sendOther(data: string, callback: SendCallback | undefined): void {
    this.#prepare();
    this.#sendRun();
    this.#send(data, callback);
  }

  sendNext(id: string, payload: string): void {
    this.#prepare();
    if (!this.#merges()) {
      this.#send(nextFrame(id, payload));
      return;
    }
    if (this.#run !== null && this.#run.payload === payload) {
      this.#run.ids.push(id);
      return;
    }
    this.#sendRun();
    this.#run = { payload, ids: [id] };
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

  /** Corks the TCP socket for the rest of the turn (not a destroyed one: ws reports its own error). */
  #prepare(): void {
    if (this.#corked || this.#tcp.destroyed) return;
    this.#corked = true;
    this.#tcp.cork();
    this.#cork(this);
  }

  #sendRun(): void {
    const run = this.#run;
    if (run === null) return;
    this.#run = null;
    this.#send(mergedNextFrame(run.ids, run.payload));
  }
}
