import { createServer } from 'node:net';

/**
 * A loopback port nobody listens on right now (the OS picks it), for a server that cannot be
 * told "any free port" itself: PostgreSQL, redis-server, a peer gateway.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
