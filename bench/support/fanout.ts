import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { encodeMessagesAdded, MESSAGES_ADDED_CHANNEL } from '../../subgraphs/messages/realtime/message-events.js';
import type { BenchGroup } from './groups.js';
import { cpuSecondsOfTree } from './process-cpu.js';
import { percentile, printTable } from './stats.js';
import { openSubscriber } from './subscriber-socket.js';

/**
 * Real-time delivery through one gateway, measured end to end with graphql-transport-ws clients: one
 * socket per member of `groups`, each subscribed to `messageAdded(conversationId)` of its group
 * with a field of another subgraph (so every event runs a federated entity fetch). Then:
 *
 *   1. latency: `rate` sendMessage calls per second through the gateway for `seconds`; for
 *      each delivery, the time from the send to the receipt (p50, p95, p99);
 *   2. throughput: `senders` concurrent senders as fast as they can for `seconds`; deliveries
 *      per second received by all clients (bounded by the send path here);
 *   3. capacity (optional): events published straight on Redis as committed batches would be,
 *      as fast as they are delivered: the deliveries per second the gateway and messages sustain.
 *
 * Used by `npm run bench:fanout` and by the subscription scenario of `npm run bench`.
 */

export interface FanoutOptions {
  readonly gatewayUrl: string;
  readonly redisUrl: string;
  readonly groups: readonly BenchGroup[];
  /** A bearer token per member id. */
  readonly tokenOf: ReadonlyMap<string, string>;
  readonly subscription: string;
  readonly sendMutation: string;
  readonly seconds: number;
  readonly rate: number;
  readonly senders: number;
  /** Run phases 1 and 2 (sends through the gateway); default true. */
  readonly sendPhases?: boolean;
  /** Run phase 3 (publishing on Redis) too; default true. */
  readonly capacity?: boolean;
  /** Server processes whose CPU time phase 3 reports (by name, e.g. gateway, messages). */
  readonly processes?: ReadonlyArray<{ readonly name: string; readonly pid: number | undefined }>;
  readonly log?: (line: string) => void;
}

export interface FanoutResult {
  readonly subscribers: number;
  readonly groups: number;
  readonly rate: number;
  readonly senders: number;
  readonly seconds: number;
  /** Send-to-receipt latencies of phase 1, ms. */
  readonly latencies: number[];
  /** sendMessage round trips of phase 1, ms. */
  readonly latencySendTimes: number[];
  readonly throughput: {
    readonly sent: number;
    readonly sendTimes: number[];
    readonly deliveriesPerSecond: number;
    readonly expectedDeliveries: number;
    readonly receivedDeliveries: number;
    readonly sendErrors: number;
  };
  readonly capacity: {
    readonly published: number;
    readonly deliveries: number;
    readonly deliveriesPerSecond: number;
    readonly latencies: number[];
    /** CPU seconds each server process (and this load generator, `clients`) used during phase 3. */
    readonly cpuSeconds: Readonly<Record<string, number>>;
  } | null;
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runFanout(options: FanoutOptions): Promise<FanoutResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { groups, tokenOf, gatewayUrl } = options;
  const subscribers = groups.reduce((sum, group) => sum + group.memberIds.length, 0);
  const sockets: Array<{ dispose(): void }> = [];
  try {
    let deliveries = 0;
    let latencies: number[] | null = null;
    const received = new Map<string, number>();
    for (const group of groups) {
      for (const userId of group.memberIds) {
        const socket = openSubscriber<{ messageAdded: { body: string } }>(
          gatewayUrl.replace('http', 'ws'),
          {
            authorization: `Bearer ${tokenOf.get(userId)}`,
            query: options.subscription,
            variables: { conversationId: group.id },
          },
          {
            next: (event) => {
              const body = event.data?.messageAdded.body;
              if (body === undefined) return;
              deliveries += 1;
              received.set(userId, (received.get(userId) ?? 0) + 1);
              if (latencies !== null && body.startsWith('t=')) latencies.push(now() - Number(body.slice(2)));
            },
            error: (error) => console.error('subscription error', error),
          },
        );
        sockets.push(socket);
      }
    }

    let sequence = 0;
    let sendErrors = 0;
    const sendTimes: number[] = [];
    const send = async (group: BenchGroup, body: string) => {
      const sentAt = now();
      const sender = group.memberIds[sequence % group.memberIds.length] as string;
      sequence += 1;
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf.get(sender)}` },
        body: JSON.stringify({
          query: options.sendMutation,
          variables: { conversationId: group.id, body, clientMessageId: `bench-${sequence}-${randomUUID()}` },
        }),
      });
      const result = (await response.json()) as { errors?: unknown };
      if (result.errors !== undefined) {
        sendErrors += 1;
        if (sendErrors <= 3) console.error(`sendMessage failed: ${JSON.stringify(result.errors)}`);
      }
      sendTimes.push(now() - sentAt);
    };

    // Every socket is live once each has received a warm-up message of its group.
    log(`connecting ${subscribers} subscribers ...`);
    const liveDeadline = Date.now() + 120_000;
    while (received.size < subscribers) {
      if (Date.now() > liveDeadline) throw new Error(`only ${received.size} of ${subscribers} subscribers became live`);
      await Promise.all(groups.map((group) => send(group, 'warm-up')));
      await sleep(500);
    }
    await sleep(1000);
    sendTimes.length = 0;
    sendErrors = 0;

    let measured: number[] = [];
    let latencySendTimes: number[] = [];
    let throughput: FanoutResult['throughput'] = {
      sent: 0,
      sendTimes: [],
      deliveriesPerSecond: 0,
      expectedDeliveries: 0,
      receivedDeliveries: 0,
      sendErrors: 0,
    };
    if (options.sendPhases !== false) {
      // 1. Latency at a steady rate.
      log(`latency: ${options.rate} sends/s for ${options.seconds} s ...`);
      latencies = [];
      const interval = 1000 / options.rate;
      const latencyEnd = Date.now() + options.seconds * 1000;
      const pending: Promise<void>[] = [];
      for (let i = 0; Date.now() < latencyEnd; i += 1) {
        pending.push(send(groups[i % groups.length] as BenchGroup, `t=${now()}`));
        await sleep(interval);
      }
      await Promise.all(pending);
      await sleep(1000);
      measured = latencies;
      latencies = null;
      latencySendTimes = sendTimes.splice(0);

      // 2. Throughput: senders as fast as they go; count deliveries inside the window.
      log(`throughput: ${options.senders} senders for ${options.seconds} s ...`);
      const before = deliveries;
      const started = now();
      const throughputEnd = Date.now() + options.seconds * 1000;
      let sent = 0;
      let expectedDeliveries = 0;
      await Promise.all(
        Array.from({ length: options.senders }, async (_, s) => {
          for (let i = s; Date.now() < throughputEnd; i += options.senders) {
            const group = groups[i % groups.length] as BenchGroup;
            await send(group, 'load');
            sent += 1;
            expectedDeliveries += group.memberIds.length;
          }
        }),
      );
      const windowDeliveries = deliveries - before;
      const elapsedSeconds = (now() - started) / 1000;
      // Let the tail drain so the next phase starts clean, and count what arrived late.
      await sleep(2000);
      const receivedDeliveries = deliveries - before;
      throughput = {
        sent,
        sendTimes: sendTimes.splice(0),
        deliveriesPerSecond: windowDeliveries / elapsedSeconds,
        expectedDeliveries,
        receivedDeliveries,
        sendErrors,
      };
    }

    let capacity: FanoutResult['capacity'] = null;
    if (options.capacity !== false) {
      // 3. Delivery capacity: events published straight on the pub/sub, the way a fleet of
      // messages instances would after their commits, so the send path (HTTP, PostgreSQL) is not
      // what limits. Closed loop: at most WINDOW deliveries outstanding; the rate adapts to what
      // the gateway and the messages subgraph deliver.
      log(`capacity: events published on Redis for ${options.seconds} s ...`);
      const publisher = new Redis(options.redisUrl);
      // Enough to keep every stage busy (a few hundred events) without queues that only add latency.
      const WINDOW = 5_000;
      const nextSeq = new Map(groups.map((group) => [group.id, 1_000_000]));
      let published = 0;
      let publishedDeliveries = 0;
      latencies = [];
      const cpuOf = () => {
        const seconds: Record<string, number> = {};
        for (const { name, pid } of options.processes ?? []) {
          const used = pid === undefined ? null : cpuSecondsOfTree(pid);
          if (used !== null) seconds[name] = used;
        }
        const own = process.cpuUsage();
        seconds.clients = (own.user + own.system) / 1e6;
        return seconds;
      };
      const cpuBefore = cpuOf();
      const capacityStart = now();
      const capacityEnd = Date.now() + options.seconds * 1000;
      const deliveredBefore = deliveries;
      while (Date.now() < capacityEnd) {
        if (publishedDeliveries - (deliveries - deliveredBefore) > WINDOW) {
          // A timer, not a spin: this process shares the cores with the servers it measures.
          await sleep(2);
          continue;
        }
        const group = groups[published % groups.length] as BenchGroup;
        const seq = (nextSeq.get(group.id) ?? 0) + 1;
        nextSeq.set(group.id, seq);
        const row = {
          id: randomUUID(),
          conversation_id: group.id,
          seq,
          sender_id: group.memberIds[seq % group.memberIds.length] as string,
          body: `t=${now()}`,
          client_message_id: randomUUID(),
          created_at: new Date(),
        };
        await publisher.publish(MESSAGES_ADDED_CHANNEL, encodeMessagesAdded([row], new Map([[group.id, group.memberIds]])));
        published += 1;
        publishedDeliveries += group.memberIds.length;
      }
      const capacitySeconds = (now() - capacityStart) / 1000;
      const capacityDeliveries = deliveries - deliveredBefore;
      const cpuAfter = cpuOf();
      const cpuSeconds = Object.fromEntries(
        Object.entries(cpuAfter).map(([name, used]) => [name, used - (cpuBefore[name] ?? used)]),
      );
      capacity = {
        published,
        deliveries: capacityDeliveries,
        deliveriesPerSecond: capacityDeliveries / capacitySeconds,
        latencies,
        cpuSeconds,
      };
      latencies = null;
      await sleep(2000);
      publisher.disconnect();
    }

    return {
      subscribers,
      groups: groups.length,
      rate: options.rate,
      senders: options.senders,
      seconds: options.seconds,
      latencies: measured,
      latencySendTimes,
      throughput,
      capacity,
    };
  } finally {
    for (const socket of sockets) socket.dispose();
  }
}

/** The fan-out figures as the aligned table `npm run bench:fanout` prints. */
export function printFanout(result: FanoutResult): void {
  const groupSize = Math.round(result.subscribers / Math.max(1, result.groups));
  const triple = (values: readonly number[]) => [50, 95, 99].map((p) => percentile(values, p).toFixed(1)).join(' / ');
  const pair = (values: readonly number[]) => [50, 95].map((p) => percentile(values, p).toFixed(1)).join(' / ');
  const rows: string[][] = [
    [`latency at ${result.rate} sends/s (${result.rate * groupSize} deliveries/s), deliveries`, String(result.latencies.length)],
    ['latency p50 (ms)', percentile(result.latencies, 50).toFixed(1)],
    ['latency p95 (ms)', percentile(result.latencies, 95).toFixed(1)],
    ['latency p99 (ms)', percentile(result.latencies, 99).toFixed(1)],
    ['sendMessage round trip p50 / p95 (ms), latency phase', pair(result.latencySendTimes)],
    [`throughput: sends by ${result.senders} senders in ${result.seconds} s`, String(result.throughput.sent)],
    ['sendMessage round trip p50 / p95 (ms), throughput phase', pair(result.throughput.sendTimes)],
    ['deliveries/s inside the window', result.throughput.deliveriesPerSecond.toFixed(0)],
    ['expected deliveries (sends x members)', String(result.throughput.expectedDeliveries)],
    ['received deliveries', String(result.throughput.receivedDeliveries)],
  ];
  if (result.capacity !== null) {
    rows.push(
      [`capacity: events published on the pub/sub in ${result.seconds} s`, String(result.capacity.published)],
      ['capacity: deliveries/s', result.capacity.deliveriesPerSecond.toFixed(0)],
      ['capacity: publish-to-receipt p50 / p95 / p99 (ms)', triple(result.capacity.latencies)],
    );
    for (const [name, seconds] of Object.entries(result.capacity.cpuSeconds)) {
      const perDelivery = (seconds * 1e6) / Math.max(1, result.capacity.deliveries);
      rows.push([
        `capacity: ${name} CPU per delivery (µs), deliveries per ${name} CPU-second`,
        `${perDelivery.toFixed(1)}, ${(1e6 / Math.max(perDelivery, 1e-9)).toFixed(0)}`,
      ]);
    }
  }
  printTable(['measure', 'value'], rows);
}

/** Phase 3 of several runs per setting (`--compare`): medians of each, side by side. */
export function printCapacityComparison(name: string, runs: ReadonlyMap<string, readonly FanoutResult[]>): void {
  const capacities = new Map([...runs].map(([value, results]) => [value, results.flatMap((result) => result.capacity ?? [])]));
  const median = (values: number[]) => percentile(values, 50);
  const processes = [...new Set([...capacities.values()].flat().flatMap((capacity) => Object.keys(capacity.cpuSeconds)))];
  const rows: string[][] = [
    ['deliveries/s', ...[...capacities.values()].map((list) => median(list.map((c) => c.deliveriesPerSecond)).toFixed(0))],
    [
      'publish-to-receipt p50 (ms)',
      ...[...capacities.values()].map((list) => median(list.map((c) => percentile(c.latencies, 50))).toFixed(1)),
    ],
    ...processes.map((process) => [
      `${process} CPU per delivery (µs)`,
      ...[...capacities.values()].map((list) =>
        median(list.map((c) => ((c.cpuSeconds[process] ?? 0) * 1e6) / Math.max(1, c.deliveries))).toFixed(1),
      ),
    ]),
  ];
  printTable(['measure (median)', ...[...capacities.keys()].map((value) => `${name}=${value}`)], rows);
}
