import type { IncomingMessage } from 'node:http';
import type { ExecutionResult } from 'graphql';
import { CloseCode, type ConnectionInitMessage, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../kernel/logger.js';
import { BatchedSocket, TurnBatches } from './batched-socket.js';
import { startHeartbeat } from './heartbeat.js';
import type { RealtimeMetrics } from './realtime-metrics.js';

/** What graphql-ws's context carries as `extra` for each socket of a socket server. */
export interface SocketExtra {
  /** The socket's frames, batched per turn (batched-socket.ts): where every write goes. */
  readonly socket: BatchedSocket;
  /** The upgrade request (the client's address and headers). */
  readonly request: IncomingMessage;
}

export type SocketServerOptions<P extends ConnectionInitMessage['payload']> = ServerOptions<P, SocketExtra>;

/** A graphql-transport-ws server on a ws WebSocketServer. */
export interface SocketServer {
  /** Closes every socket with 1001 "Going away", then the ws server. */
  dispose(): Promise<void>;
}

/**
 * graphql-ws's protocol server (`makeServer`) on a ws WebSocketServer: this platform's one
 * adapter, in place of graphql-ws's `useServer`, so that every frame of a socket goes through
 * its BatchedSocket (one write per turn, merged `next` frames) and event deliveries write to
 * the same object (event-delivery.ts), with no `send` replaced under graphql-ws.
 *
 * Otherwise it does what `useServer` does: the subprotocol check, the connection's messages to
 * graphql-ws, a close passed on; a failure while handling a message closes that socket with
 * 1011 and is logged, never thrown. Sockets are pinged every `heartbeat.intervalMs` and cut
 * after `heartbeat.missedPingsAllowed` unanswered pings (heartbeat.ts).
 */
export function serveSockets<P extends ConnectionInitMessage['payload']>(
  wss: WebSocketServer,
  options: SocketServerOptions<P>,
  settings: {
    readonly logger: Logger;
    readonly heartbeat: { readonly intervalMs: number; readonly missedPingsAllowed: number };
    /** Open sockets and running subscriptions are counted here (deliveries by event-delivery.ts). */
    readonly metrics: RealtimeMetrics;
  },
): SocketServer {
  const { logger, metrics } = settings;
  const subscribe = options.subscribe;
  const server = makeServer({
    ...options,
    ...(subscribe === undefined
      ? {}
      : {
          subscribe: async (args) => {
            const result = await subscribe(args);
            return isAsyncIterable(result) ? countedWhileRunning(result, metrics) : result;
          },
        }),
  });
  const turn = new TurnBatches();
  wss.options.handleProtocols = handleProtocols;
  const heartbeat = startHeartbeat(wss, settings.heartbeat.intervalMs, settings.heartbeat.missedPingsAllowed);
  const internalError = (socket: WebSocket, error: unknown, what: string) => {
    logger.error({ err: error }, what);
    socket.close(CloseCode.InternalServerError, 'Internal server error');
  };
  wss.on('error', (error) => {
    logger.error({ err: error }, 'WebSocket server error');
    for (const socket of wss.clients) socket.close(CloseCode.InternalServerError, 'Internal server error');
  });

  wss.on('connection', (webSocket: WebSocket, request: IncomingMessage) => {
    webSocket.once('error', (error) => internalError(webSocket, error, 'WebSocket error'));
    metrics.socketOpened();
    const socket = new BatchedSocket(webSocket, request.socket, turn);
    const closed = server.opened(
      {
        protocol: webSocket.protocol,
        send: (frame) => socket.send(frame),
        close: (code, reason) => webSocket.close(code, reason),
        onMessage: (handle) =>
          webSocket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              internalError(webSocket, error, 'could not handle a WebSocket message');
            }
          }),
      },
      { socket, request },
    );
    webSocket.once('close', (code, reason) => {
      metrics.socketClosed();
      void Promise.resolve(closed(code, String(reason))).catch((error: unknown) =>
        logger.error({ err: error }, 'could not close a WebSocket connection'),
      );
    });
  });

  return {
    async dispose() {
      heartbeat.stop();
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error === undefined ? resolve() : reject(error))));
    },
  };
}

/** `stream`, counted in `subscriptions_active` from now until it ends or is returned, once. */
function countedWhileRunning(
  stream: AsyncIterable<ExecutionResult>,
  metrics: RealtimeMetrics,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = stream[Symbol.asyncIterator]();
  metrics.subscriptionStarted();
  let running = true;
  const ended = () => {
    if (!running) return;
    running = false;
    metrics.subscriptionEnded();
  };
  return {
    async next() {
      try {
        const step = await iterator.next();
        if (step.done === true) ended();
        return step;
      } catch (error) {
        ended();
        throw error;
      }
    },
    async return() {
      ended();
      return (await iterator.return?.()) ?? { done: true, value: undefined };
    },
    async throw(error: unknown) {
      ended();
      if (iterator.throw !== undefined) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}
