import { once } from 'node:events';
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with the bytes of every connection, open or new (keep-alive connections
 * of the gateway's pool see a change at once):
 * - `forward`: passes them on as they come;
 * - `delay`: holds each chunk `ms` before passing it on, in order, both ways;
 * - `trickle`: passes the subgraph's answer on with its HTTP head at once, then one byte of
 *   body every `intervalMs` (bytes keep coming: no idle timeout ever fires);
 * - `hold`: keeps every chunk, both ways, until `released` settles, then passes them on in order;
 * - `black-hole`: accepts connections and requests, and never answers;
 * - `bad-gateway`: answers every request itself with an HTML 502 page, as a load balancer in
 *   front of a dead subgraph does, and closes the connection.
 */
export type ProxyMode =
  | { kind: 'forward' }
  | { kind: 'bad-gateway' }
  | { kind: 'delay'; ms: number }
  | { kind: 'trickle'; intervalMs: number }
  | { kind: 'hold'; released: Promise<void> }
  | { kind: 'black-hole' };

const BAD_GATEWAY_PAGE = '<html><body><h1>502 Bad Gateway</h1></body></html>';
const BAD_GATEWAY = `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: ${BAD_GATEWAY_PAGE.length}\r\nconnection: close\r\n\r\n${BAD_GATEWAY_PAGE}`;

// The latency the proxy injects (delay and trickle modes): the fault simulated, not a wait of a test.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A TCP proxy in front of one subgraph, on a loopback port of its own, for fault tests: it
 * can slow or swallow traffic, and `stop()` / `restart()` make the subgraph look killed (the
 * port refuses connections) and back, on the same port, without touching the subgraph.
 */
export class TcpProxy {
  mode: ProxyMode = { kind: 'forward' };
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  /** The gateway's side of each open connection. */
  readonly #clients = new Set<Socket>();
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Listens on a free loopback port, forwarding to `targetUrl`'s host and port. */
  static async start(targetUrl: string): Promise<TcpProxy> {
    const url = new URL(targetUrl);
    const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
    const proxy = new TcpProxy({ host, port: Number(url.port) });
    await proxy.#listen(0);
    return proxy;
  }

  /** `http://127.0.0.1:<port><path of targetUrl>`: the URL to give the gateway instead. */
  urlFor(targetUrl: string): string {
    const url = new URL(targetUrl);
    return `http://127.0.0.1:${this.#port}${url.pathname}${url.search}`;
  }

  /** Connections the gateway holds open through the proxy now. */
  get openConnections(): number {
    return this.#clients.size;
  }

  /** False between `stop()` and `restart()`. */
  get listening(): boolean {
    return this.#server.listening;
  }

  /** Closes the port and every connection through it: new connections are refused. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Listens again on the same port, forwarding. */
  async restart(): Promise<void> {
    this.mode = { kind: 'forward' };
    await this.#listen(this.#port);
  }

  async #listen(port: number): Promise<void> {
    this.#server.listen({ port, host: '127.0.0.1' });
    await once(this.#server, 'listening');
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  #accept(client: Socket): void {
    const upstream = createConnection(this.#target);
    this.#clients.add(client);
    client.on('close', () => this.#clients.delete(client));
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      // A reset on one side ends both, as a real connection through a dead host would.
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    this.#pipe(client, upstream, false);
    this.#pipe(upstream, client, true);
  }

  /** Copies `from` to `to` as the mode says; `answer` is the subgraph-to-gateway direction. */
  #pipe(from: Socket, to: Socket, answer: boolean): void {
    // Chunks wait for the ones before them, so delays never reorder bytes.
    let previous = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const mode = this.mode;
      if (mode.kind === 'black-hole') return;
      if (mode.kind === 'bad-gateway') {
        // Answered on the gateway's side, whichever direction the bytes were going.
        if (!answer) from.end(BAD_GATEWAY);
        return;
      }
      if (mode.kind === 'forward') {
        previous = previous.then(() => void to.write(chunk));
      } else if (mode.kind === 'delay') {
        previous = previous.then(() => sleep(mode.ms)).then(() => void to.write(chunk));
      } else if (mode.kind === 'hold') {
        previous = previous.then(() => mode.released).then(() => void to.write(chunk));
      } else if (!answer) {
        previous = previous.then(() => void to.write(chunk));
      } else {
        const head = chunk.indexOf('\r\n\r\n');
        const bodyStart = head === -1 ? 0 : head + 4;
        previous = previous.then(async () => {
          to.write(chunk.subarray(0, bodyStart));
          for (let i = bodyStart; i < chunk.length && !to.destroyed; i++) {
            await sleep(mode.intervalMs);
            to.write(chunk.subarray(i, i + 1));
          }
        });
      }
    });
    from.on('end', () => {
      previous = previous.then(() => void to.end());
    });
  }
}
