import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openPubSub, type PubSub } from '../../lib/infra/pubsub.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { eventually, until } from '../support/until.js';

const logger = createLogger({ level: 'silent', pretty: false });
const redisUrl = process.env.REDIS_URL || undefined;

/** Collects what a listener receives. */
function collector() {
  const received: string[] = [];
  return { received, listener: (message: string) => received.push(message) };
}

/** The behaviour both implementations share. */
function behavesLikePubSub(open: () => PubSub, settle: (...channels: string[]) => Promise<void>) {
  let pubsub: PubSub;
  afterEach(async () => {
    await pubsub?.close();
  });

  it('delivers to every listener of the channel, in publish order, and nothing of other channels', async () => {
    pubsub = open();
    const channel = `test:${Math.random()}`;
    const a = collector();
    const b = collector();
    const other = collector();
    pubsub.subscribe(channel, a.listener);
    pubsub.subscribe(channel, b.listener);
    pubsub.subscribe(`${channel}:other`, other.listener);
    await settle(channel, `${channel}:other`);
    for (let i = 0; i < 20; i += 1) await pubsub.publish(channel, `m${i}`);
    const expected = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await until(() => a.received.length === 20 && b.received.length === 20);
    expect(a.received).toEqual(expected);
    expect(b.received).toEqual(expected);
    expect(other.received).toEqual([]);
  });

  it('stops delivering to a listener once unsubscribed, and keeps the others', async () => {
    pubsub = open();
    const channel = `test:${Math.random()}`;
    const a = collector();
    const b = collector();
    const leaveA = pubsub.subscribe(channel, a.listener);
    pubsub.subscribe(channel, b.listener);
    await settle(channel);
    await pubsub.publish(channel, 'both');
    await until(() => a.received.length === 1 && b.received.length === 1);
    leaveA();
    leaveA(); // twice is harmless
    await pubsub.publish(channel, 'b only');
    await until(() => b.received.length === 2);
    await sleep(20); // a window for a wrong delivery to a to show: what is tested is that none comes
    expect(a.received).toEqual(['both']);
    expect(b.received).toEqual(['both', 'b only']);
  });

  it('keeps delivering to the others when a listener throws', async () => {
    pubsub = open();
    const channel = `test:${Math.random()}`;
    const good = collector();
    pubsub.subscribe(channel, () => {
      throw new Error('listener bug');
    });
    pubsub.subscribe(channel, good.listener);
    await settle(channel);
    await pubsub.publish(channel, 'still');
    await until(() => good.received.length === 1);
    expect(good.received).toEqual(['still']);
  });
}

describe('memory pub/sub', () => {
  behavesLikePubSub(
    () => openPubSub(undefined, logger),
    async () => undefined,
  );

  it('delivers outside the publisher’s call stack', async () => {
    const pubsub = openPubSub(undefined, logger);
    const received: string[] = [];
    pubsub.subscribe('c', (message) => received.push(message));
    const publishing = pubsub.publish('c', 'x');
    expect(received).toEqual([]);
    await publishing;
    await until(() => received.length > 0);
    expect(received).toEqual(['x']);
    await pubsub.close();
  });

  it('reports its kind', () => {
    expect(openPubSub(undefined, logger).kind).toBe('memory');
  });
});

describe.skipIf(redisUrl === undefined)('Redis pub/sub (REDIS_URL)', () => {
  // A SUBSCRIBE takes effect once Redis has it: Redis says so in PUBSUB NUMSUB.
  behavesLikePubSub(
    () => openPubSub(redisUrl, logger),
    async (...channels) => {
      for (const channel of channels) await eventually(async () => (await numberOfSubscribers(channel)) === 1);
    },
  );

  it('reaches listeners of another connection (another process) and subscribes to a channel once', async () => {
    const one = openPubSub(redisUrl, logger);
    const two = openPubSub(redisUrl, logger);
    const channel = `test:${Math.random()}`;
    try {
      expect(one.kind).toBe('redis');
      const a = collector();
      const b = collector();
      const leaveA = two.subscribe(channel, a.listener);
      const leaveB = two.subscribe(channel, b.listener);
      await eventually(async () => (await numberOfSubscribers(channel)) === 1);
      await one.publish(channel, 'across');
      await until(() => a.received.length === 1 && b.received.length === 1);
      // Two local listeners, one Redis subscription: Redis counts one subscriber.
      expect(await numberOfSubscribers(channel)).toBe(1);
      leaveA();
      await sleep(50); // a window for a wrong UNSUBSCRIBE to reach Redis: what is tested is that none does
      expect(await numberOfSubscribers(channel)).toBe(1);
      leaveB();
      await eventually(async () => (await numberOfSubscribers(channel)) === 0);
      expect(await numberOfSubscribers(channel)).toBe(0);
      await one.publish(channel, 'nobody');
      await sleep(50); // a window for a wrong delivery to show: what is tested is that none comes
      expect(a.received).toEqual(['across']);
      expect(b.received).toEqual(['across']);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

async function numberOfSubscribers(channel: string): Promise<number> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl as string);
  try {
    const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
    return Number(count);
  } finally {
    redis.disconnect();
  }
}
