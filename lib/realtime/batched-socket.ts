import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { mergedNextFrame, nextFrame } from './frames.js';

/** Above this many bytes waiting in a socket, a producer writing events waits (whenWritable). */
const WRITABLE_BELOW_BYTES = 1024 * 1024;

/**
 * The sockets of one server written in the current turn of the event loop: each is corked at
 * its first frame of the turn and uncorked together in the check phase (one setImmediate for
 * all of them), so a turn's frames leave a socket in one writev instead of one system call
 * each. Profiles showed a writev per frame as the largest single cost of both the messages
 * subgraph and the gateway under fan-out. When the loop is idle a turn is short, so a lone
 * frame waits microseconds.
 */
export class TurnBatches {
  #corked: BatchedSocket[] = [];
  readonly #flushAll = () => {
    const flushing = this.#corked;
    this.#corked = [];
    for (const socket of flushing) socket.flush();
  };

  /** `socket` was corked in this turn: it is flushed at the end of the turn. */
  add(socket: BatchedSocket): void {
    if (this.#corked.length === 0) setImmediate(this.#flushAll);
    this.#corked.push(socket);
  }
}

/**
 * One server socket's outgoing frames: what the socket server (socket-server.ts) gives
 * graphql-ws as the socket's `send`, and what event deliveries write to (event-delivery.ts).
 *
 * - Batching: the frames of one turn leave in one write (TurnBatches).
 * - Merging, once `mergesNext` is set (the client opted in, frames.ts): consecutive `sendNext`
 *   frames with the same payload become one frame naming every operation. Any other frame
 *   (graphql-ws's own: `complete`, `error`, a query's result) ends the run first, so nothing
 *   is reordered.
 */
export class BatchedSocket {
  readonly #webSocket: WebSocket;
  readonly #tcp: Socket;
  readonly #turn: TurnBatches;
  /** Whether consecutive `next` frames with one payload go out as one merged frame. */
  mergesNext = false;
  /** The run of consecutive `next` frames with one payload, not yet sent. */
  #run: { payload: string; ids: string[] } | null = null;
  #corked = false;
  #drained: Promise<void> | undefined;

  /** `tcp` is the upgrade request's socket: the one ws writes the frames to. */
  constructor(webSocket: WebSocket, tcp: Socket, turn: TurnBatches) {
    this.#webSocket = webSocket;
    this.#tcp = tcp;
    this.#turn = turn;
  }

  /** The ws socket underneath, for what is not about frames (close codes, counts, pings). */
  get webSocket(): WebSocket {
    return this.#webSocket;
  }

  /** Whether frames can still be sent. */
  get open(): boolean {
    return this.#webSocket.readyState === this.#webSocket.OPEN;
  }

  /** Bytes written to the socket and not yet taken by the network. */
  get unsentBytes(): number {
    return this.#webSocket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    this.#webSocket.close(code, reason);
  }

  /**
   * Any frame graphql-ws sends: ends the current run first, so order is kept. Settles once ws
   * has written it (graphql-ws waits for that before its next `next`); at once when closed.
   */
  send(frame: string): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.#prepare();
    this.#sendRun();
    return new Promise((resolve, reject) => {
      this.#webSocket.send(frame, (error) => (error === undefined || error === null ? resolve() : reject(error)));
    });
  }

  /** `{"id":<id>,"type":"next","payload":<payloadJson>}` as graphql-ws would send it, batched; ignored once closed. */
  sendNext(id: string, payloadJson: string): void {
    if (!this.open) return;
    this.#prepare();
    if (!this.mergesNext) {
      this.#webSocket.send(nextFrame(id, payloadJson));
      return;
    }
    if (this.#run !== null && this.#run.payload === payloadJson) {
      this.#run.ids.push(id);
      return;
    }
    this.#sendRun();
    this.#run = { payload: payloadJson, ids: [id] };
  }

  /**
   * Undefined while less than a megabyte waits to be sent; otherwise a promise of the moment it
   * has been sent (or the socket closed): what a producer writing past graphql-ws waits for
   * before its next event, as graphql-ws waits for each write.
   */
  whenWritable(): Promise<void> | undefined {
    if (this.unsentBytes < WRITABLE_BELOW_BYTES || !this.open) return undefined;
    return this.#drainedOrClosed();
  }

  /** End of the turn: the run goes out, and the turn's frames leave in one write. */
  flush(): void {
    this.#sendRun();
    this.#corked = false;
    this.#tcp.uncork();
  }

  #drainedOrClosed(): Promise<void> {
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

  /** Corks the TCP socket for the rest of the turn (not a destroyed one: ws reports its own error). */
  #prepare(): void {
    if (this.#corked || this.#tcp.destroyed) return;
    this.#corked = true;
    this.#tcp.cork();
    this.#turn.add(this);
  }

  #sendRun(): void {
    const run = this.#run;
    if (run === null) return;
    this.#run = null;
    this.#webSocket.send(mergedNextFrame(run.ids, run.payload));
  }
}
