/**
 * `npm run bench:ws-floor`: what a bare WebSocket fan-out costs on this machine, as the
 * reference for `npm run bench:fanout`. A child process sends one pre-serialized ~400-byte
 * `next` frame per delivery to 1000 sockets (20 groups of 50, one event to one group at a
 * time, many events per turn) with the `ws` library and nothing else: no GraphQL, no
 * subgraph, no Redis. Its CPU per delivery is the floor under any graphql-ws server here;
 * 1e6 / that is the most deliveries per second one Node process could send.
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';

const SOCKETS = 1000;
const GROUP_SIZE = 50;
const EVENTS_PER_TURN = 20;
const SECONDS = 8;

interface ServerReport {
  readonly deliveriesPerSecond: number;
  readonly cpuMicrosecondsPerDelivery: number;
}

/** The sending process: waits for the sockets, then sends for SECONDS and reports. */
function serve(): void {
  const server = new WebSocketServer({ port: 0, perMessageDeflate: false });
  const sockets: WebSocket[] = [];
  server.on('connection', (socket) => sockets.push(socket));
  server.on('listening', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  const payload = JSON.stringify({
    data: {
      messageAdded: {
        id: '7d0c6f0e-1f1e-4c57-9a59-2b7c1f3d9a10',
        body: 'see you at the library at six',
        clientMessageId: 'c6d1a0de-3f5c-4e21-8a55-6b0f6f0c2e4a',
        createdAt: new Date().toISOString(),
        conversation: { id: '0f8b3c2a-5d4e-4f6a-9b7c-8d9e0f1a2b3c' },
        sender: { id: '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d', username: 'ayse', displayName: 'Ayşe K.', avatarUrl: null },
      },
    },
  });
  process.on('message', () => {
    let sent = 0;
    let running = true;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const turn = () => {
      if (!running) return;
      for (let event = 0; event < EVENTS_PER_TURN; event += 1) {
        const group = Math.floor(sent / GROUP_SIZE) % (SOCKETS / GROUP_SIZE);
        const frame = `{"id":"1","type":"next","payload":${payload}}`;
        for (let i = group * GROUP_SIZE; i < (group + 1) * GROUP_SIZE; i += 1) {
          sockets[i]?.send(frame);
          sent += 1;
        }
      }
      setImmediate(turn);
    };
    turn();
    setTimeout(() => {
      running = false;
      const cpu = process.cpuUsage(cpuBefore);
      const report: ServerReport = {
        deliveriesPerSecond: sent / ((performance.now() - started) / 1000),
        cpuMicrosecondsPerDelivery: (cpu.user + cpu.system) / sent,
      };
      process.send?.(report, () => process.exit(0));
    }, SECONDS * 1000);
  });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'] });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', resolve as never));
  let received = 0;
  const clients = Array.from({ length: SOCKETS }, () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    socket.on('message', (data) => {
      JSON.parse(String(data));
      received += 1;
    });
    return socket;
  });
  await Promise.all(clients.map((socket) => new Promise((resolve) => socket.once('open', resolve))));
  const cpuBefore = process.cpuUsage();
  const receivedBefore = received;
  child.send('start');
  const report = await new Promise<ServerReport>((resolve) => child.once('message', resolve as never));
  const clientCpu = process.cpuUsage(cpuBefore);
  const delivered = received - receivedBefore;
  console.log(`bare ws fan-out, ${SOCKETS} sockets in groups of ${GROUP_SIZE}, ${SECONDS} s`);
  console.log(`  sender: ${report.deliveriesPerSecond.toFixed(0)} deliveries/s sent`);
  console.log(
    `  sender CPU per delivery: ${report.cpuMicrosecondsPerDelivery.toFixed(1)} µs (at most ${(1e6 / report.cpuMicrosecondsPerDelivery).toFixed(0)} deliveries per CPU-second)`,
  );
  console.log(`  receivers CPU per delivery: ${((clientCpu.user + clientCpu.system) / Math.max(1, delivered)).toFixed(1)} µs`);
  for (const socket of clients) socket.terminate();
}

if (process.argv.includes('--serve')) serve();
else await main();
