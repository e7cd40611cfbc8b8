import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from '../kernel/request-id.js';

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /** http://localhost:<port> */
  readonly origin: string;
  /** Stops accepting connections, lets in-flight requests finish (up to `graceMs`), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts an HTTP server. Keep-alive outlives typical load balancer idle timeouts (60 s) so
 * the balancer, not the server, closes idle connections and no request hits a closing socket.
 * Every request is handled under its request id (lib/kernel/request-id.ts): the caller's
 * `x-request-id` when acceptable, else a new one, echoed in the response's header.
 */
export async function startHttpServer(
  handler: RequestListener,
  options: { port: number; host?: string | undefined },
): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, (request, response) => {
    const id = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    response.setHeader(REQUEST_ID_HEADER, id);
    runWithRequestId(id, () => handler(request, response));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, ...(options.host === undefined ? {} : { host: options.host }) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `http://localhost:${port}`,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
