import WebSocket from 'ws';

export interface SubscriberHandlers<T> {
  next(payload: { data?: T; errors?: unknown[] }): void;
  error(error: unknown): void;
}

/**
 * One client socket with one subscription, speaking graphql-transport-ws directly: init with
 * the token, subscribe once acknowledged, answer pings, hand each `next` payload over.
 *
 * The load generator runs a thousand of these on the same two cores as the servers it
 * measures; graphql-ws's full client (reconnection, lazy sockets, an operation map, async
 * sinks) cost about as much CPU per delivery as the gateway itself, which capped what the
 * benchmark could show. This client keeps only what the protocol requires.
 */
export function openSubscriber<T>(
  url: string,
  operation: { authorization: string; query: string; variables: Record<string, unknown> },
  handlers: SubscriberHandlers<T>,
): { dispose(): void } {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  socket.on('open', () =>
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: operation.authorization } })),
  );
  socket.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as { type: string; payload?: unknown };
    switch (message.type) {
      case 'next':
        handlers.next(message.payload as { data?: T; errors?: unknown[] });
        return;
      case 'connection_ack':
        socket.send(
          JSON.stringify({ id: '1', type: 'subscribe', payload: { query: operation.query, variables: operation.variables } }),
        );
        return;
      case 'ping':
        socket.send('{"type":"pong"}');
        return;
      case 'error':
        handlers.error(message.payload);
        return;
      default:
        return;
    }
  });
  socket.on('close', (code, reason) => {
    if (code !== 1000 && code !== 1005) handlers.error(new Error(`socket closed ${code} ${String(reason)}`));
  });
  socket.on('error', (error) => handlers.error(error));
  return {
    dispose() {
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      socket.close(1000);
    },
  };
}
