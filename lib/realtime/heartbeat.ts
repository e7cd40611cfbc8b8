import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Finds clients that vanished without closing (a phone that lost its network leaves a half-open
 * TCP connection the kernel may keep for hours): every `intervalMs` each socket is pinged, and
 * one that has not answered the last `missedPingsAllowed` pings (two by default) is terminated, which ends its subscriptions and
 * its presence like any close. One timer serves every socket of the server.
 */
export function startHeartbeat(wss: WebSocketServer, intervalMs: number, missedPingsAllowed = 2): { stop(): void } {
  const missed = new WeakMap<WebSocket, number>();
  wss.on('connection', (socket) => {
    missed.set(socket, 0);
    socket.on('pong', () => missed.set(socket, 0));
  });
  const timer = setInterval(() => {
    for (const socket of wss.clients) {
      const count = missed.get(socket) ?? 0;
      if (count >= missedPingsAllowed) {
        socket.terminate();
        continue;
      }
      missed.set(socket, count + 1);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
