import type { GraphQLFormattedError } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { SIGNATURE_PARAM, signContent, WEBSOCKET_SIGNED_CONTENT } from '../lib/kernel/request-signature.js';
import type { PushListener } from '../lib/realtime/async-queue.js';
import {
  MERGED_NEXT_PARAM,
  operationIdsOf,
  PING_FRAME,
  PONG_FRAME,
  parseServerFrame,
  type ServerFrame,
} from '../lib/realtime/frames.js';

/** What a subscribe message carries (graphql-transport-ws). */
export interface SubscribePayload {
  readonly query: string;
  readonly operationName?: string;
  readonly variables: Record<string, unknown>;
  readonly extensions: Record<string, unknown>;
}

/** The subgraph refused the operation (an `error` message): its GraphQL errors. */
export class UpstreamRefusal extends Error {
  readonly errors: readonly GraphQLFormattedError[];
  constructor(errors: readonly GraphQLFormattedError[]) {
    super(errors[0]?.message ?? 'Subscription refused');
    this.errors = errors;
  }
}

/** The socket to the subgraph closed or failed while the operation was live. */
export class UpstreamLost extends Error {}

/** Events an operation may fall behind by before it ends (UpstreamLost): memory bound. */
const MAX_BUFFERED_EVENTS = 10_000;

/** The bounds of an operation's events for a consumer that pulls them (lib/realtime/async-queue.ts `pulled`). */
export const PULLED_EVENT_BOUNDS = {
  limit: MAX_BUFFERED_EVENTS,
  overflowError: () => new UpstreamLost(`More than ${MAX_BUFFERED_EVENTS} subgraph events waiting for one subscription`),
};
const ACK_TIMEOUT_MS = 10_000;

/** Where an operation's events go: pushed one by one, then ended (with UpstreamRefusal or UpstreamLost, or without an error). */
export type OperationListener = PushListener<FormattedExecutionResult>;

/**
 * One graphql-transport-ws socket from the gateway to one subgraph, carrying the subscriptions
 * of every client (operations multiplexed by id), opened on first use and closed after
 * `idleCloseMs` without operations.
 *
 * The gateway's own client rather than graphql-ws's: it asks the subgraph for merged `next`
 * frames (lib/realtime/frames.ts), where one frame carries one payload for many operations,
 * which graphql-ws's client would reject. Such a payload is parsed once and the same object is
 * handed to each operation, so the gateway can also resolve it once (federated-subscriptions.ts).
 *
 * No retries here: when the socket drops, its operations fail with UpstreamLost. Each
 * subscription resubscribes from its own last event where its field can resume
 * (resuming-upstream.ts); the others end, and the public server closes their clients with a code
 * that makes graphql-ws clients reconnect and resume with `after`. Resubscribing here without a
 * position would skip whatever was sent while the socket was down.
 */
export class UpstreamConnection {
  readonly #url: string;
  readonly #idleCloseMs: number;
  readonly #keepAliveMs: number;
  readonly #onClosed: (code: number, reason: string) => void;
  readonly #signingSecret: string | undefined;
  #socket: WebSocket | undefined;
  #acknowledged = false;
  /** Subscribe messages waiting for connection_ack, by operation id. */
  #unsent = new Map<string, string>();
  readonly #operations = new Map<string, OperationListener>();
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(options: {
    url: string;
    idleCloseMs: number;
    keepAliveMs: number;
    onClosed: (code: number, reason: string) => void;
    /** Signs connection_init (lib/kernel/request-signature.ts): subgraphs accept only signed sockets. */
    signingSecret?: string;
  }) {
    this.#url = options.url;
    this.#idleCloseMs = options.idleCloseMs;
    this.#keepAliveMs = options.keepAliveMs;
    this.#onClosed = options.onClosed;
    this.#signingSecret = options.signingSecret;
  }

  /**
   * The operation's events, pushed to `listener` as they arrive (nothing is buffered here).
   * Returns what stops the operation; the listener is not ended by that.
   */
  listen(payload: SubscribePayload, listener: OperationListener): () => void {
    const id = this.#open(payload, listener);
    return () => this.#ended(id);
  }

  #open(payload: SubscribePayload, listener: OperationListener): string {
    clearTimeout(this.#idleTimer);
    const id = String(this.#nextId++);
    this.#operations.set(id, listener);
    const message = JSON.stringify({ id, type: 'subscribe', payload });
    if (this.#socket === undefined) this.#connect();
    if (this.#acknowledged) this.#socket?.send(message);
    else this.#unsent.set(id, message);
    return id;
  }

  /** Closes the socket; live operations end with UpstreamLost. */
  close(): void {
    clearTimeout(this.#idleTimer);
    this.#socket?.close(1000, 'Normal Closure');
    this.#lost(new UpstreamLost('Gateway closing'));
  }

  /** An operation ended on our side (consumer returned, overflow) or the subgraph's (complete, error). */
  #ended(id: string): void {
    if (!this.#operations.delete(id)) return;
    // Tell the subgraph (unless it ended the operation itself: #settle removed it first), or
    // never send the subscribe at all when it is still waiting for the ack.
    if (!this.#unsent.delete(id) && this.#acknowledged) this.#socket?.send(JSON.stringify({ id, type: 'complete' }));
    this.#closeWhenIdle();
  }

  #closeWhenIdle(): void {
    if (this.#operations.size > 0 || this.#socket === undefined) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#operations.size === 0) this.#socket?.close(1000, 'Normal Closure');
    }, this.#idleCloseMs);
    this.#idleTimer.unref();
  }

  #connect(): void {
    const socket = new WebSocket(this.#url, 'graphql-transport-ws');
    this.#socket = socket;
    this.#acknowledged = false;
    const ackTimeout = setTimeout(() => socket.terminate(), ACK_TIMEOUT_MS);
    socket.on('open', () => {
      // Signed when the socket opens, so a reconnect never sends an expired signature.
      const signature =
        this.#signingSecret === undefined
          ? {}
          : { [SIGNATURE_PARAM]: signContent(this.#signingSecret, WEBSOCKET_SIGNED_CONTENT) };
      socket.send(JSON.stringify({ type: 'connection_init', payload: { [MERGED_NEXT_PARAM]: true, ...signature } }));
    });
    socket.on('message', (data) => {
      const message = parseServerFrame(String(data));
      if (message === null) {
        socket.close(4400, 'Invalid message');
        return;
      }
      if (message.type === 'connection_ack') {
        clearTimeout(ackTimeout);
        this.#acknowledged = true;
        for (const unsent of this.#unsent.values()) socket.send(unsent);
        this.#unsent.clear();
        this.#keepAlive = setInterval(() => socket.send(PING_FRAME), this.#keepAliveMs);
        this.#keepAlive.unref();
        return;
      }
      this.#receive(message, socket);
    });
    socket.on('error', () => undefined); // 'close' follows and reports
    socket.on('close', (code, reason) => {
      clearTimeout(ackTimeout);
      clearInterval(this.#keepAlive);
      clearTimeout(this.#idleTimer);
      if (this.#socket === socket) {
        this.#socket = undefined;
        this.#acknowledged = false;
        this.#unsent.clear();
        this.#lost(new UpstreamLost(`Subgraph WebSocket closed (${code})`));
      }
      this.#onClosed(code, String(reason));
    });
  }

  #receive(message: ServerFrame, socket: WebSocket): void {
    switch (message.type) {
      case 'next': {
        const payload = message.payload as FormattedExecutionResult;
        // One parsed payload for every operation it names: the gateway shares its resolution.
        for (const id of operationIdsOf(message)) this.#operations.get(id)?.push(payload);
        return;
      }
      case 'error':
        this.#settle(message.id, new UpstreamRefusal((message.payload as GraphQLFormattedError[] | undefined) ?? []));
        return;
      case 'complete':
        this.#settle(message.id, undefined);
        return;
      case 'ping':
        socket.send(PONG_FRAME);
        return;
      default:
        return;
    }
  }

  /** The subgraph ended operation `id`: buffered events are still delivered, then `error` or done. */
  #settle(id: string | undefined, error: Error | undefined): void {
    const events = this.#operations.get(id ?? '');
    if (events === undefined) return;
    this.#operations.delete(id ?? '');
    events.end(error);
    this.#closeWhenIdle();
  }

  #lost(error: UpstreamLost): void {
    const operations = [...this.#operations.values()];
    this.#operations.clear();
    for (const events of operations) events.end(error);
  }
}
