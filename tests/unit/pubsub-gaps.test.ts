import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPubSub, type PubSub } from '../../lib/infra/pubsub.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { type OwnRedis, startOwnRedis } from '../support/own-redis.js';
import { eventually, until } from '../support/until.js';

const logger = createLogger({ level: 'silent', pretty: false });

/**
 * Publishes `message` once Redis has `channel` subscribed (its PUBSUB NUMSUB says so) and waits
 * until the listener got it: a SUBSCRIBE takes effect only once Redis has it. A publish refused
 * while the publisher reconnects is sent again.
 */
async function deliveredOnce(
  pubsub: PubSub,
  subscribers: (channel: string) => Promise<number>,
  channel: string,
  received: string[],
  message: string,
): Promise<void> {
  await eventually(async () => (await subscribers(channel)) > 0);
  await eventually(() => pubsub.publish(channel, message).then(() => true));
  await until(() => received.includes(message));
}

/**
 * What the Redis pub/sub tells its listeners when messages may have been lost (lib/infra/pubsub.ts,
 * `onGap`), on a redis-server of the test's own that it stops, restarts and pauses. Real
 * services mode only, like the other Redis tests.
 */
describe.skipIf(!process.env.REDIS_URL)('Redis pub/sub gaps', () => {
  let redis: OwnRedis;
  const opened: PubSub[] = [];
  const open = () => {
    const pubsub = openPubSub(redis.url, logger);
    opened.push(pubsub);
    return pubsub;
  };
  const subscribers = async (channel: string) => {
    const raw = new Redis(redis.url);
    try {
      const [, count] = (await raw.pubsub('NUMSUB', channel)) as [string, number];
      return count;
    } finally {
      raw.disconnect();
    }
  };

  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(async () => {
    await Promise.all(opened.map((pubsub) => pubsub.close()));
    await redis?.stop();
  });

  it('after a restart, subscribes every channel again and only then calls onGap; publishes fail at once meanwhile', async () => {
    const pubsub = open();
    const channel = `gap:${Math.random()}`;
    const received: string[] = [];
    const subscribedAtGap: number[] = [];
    pubsub.subscribe(channel, (message) => received.push(message), {
      onGap: () => void subscribers(channel).then((count) => subscribedAtGap.push(count)),
    });
    await deliveredOnce(pubsub, subscribers, channel, received, 'before');

    await redis.stop();
    // Once the publisher saw the connection go, publishes fail at once instead of queueing.
    await eventually(() =>
      pubsub.publish(channel, 'probe').then(
        () => false,
        () => true,
      ),
    );
    const started = Date.now();
    await expect(pubsub.publish(channel, 'during')).rejects.toThrow('Redis is unreachable');
    const failedAfterMs = Date.now() - started;
    expect(failedAfterMs).toBeLessThan(100);

    await redis.start();
    // Once for the reconnect; possibly once more for this process's own failed publishes, announced.
    await until(() => subscribedAtGap.length >= 1, 10_000);
    expect(subscribedAtGap.slice(0, 1)).toEqual([1]);
    await deliveredOnce(pubsub, subscribers, channel, received, 'after');
    expect(received).not.toContain('during');
  });

  it('announces a publish that failed while the subscription held: onGap runs in another process', async () => {
    const publisher = open();
    const subscriber = open();
    const channel = `gap:${Math.random()}`;
    let gaps = 0;
    const received: string[] = [];
    subscriber.subscribe(channel, (message) => received.push(message), { onGap: () => gaps++ });
    await deliveredOnce(publisher, subscribers, channel, received, 'live');
    // Writes (PUBLISH among them) wait 1.5 s: the publisher's 1 s command timeout fails the
    // publish, while the subscriber's connection stays up and sees no error.
    const raw = new Redis(redis.url);
    await raw.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    raw.disconnect();
    await expect(publisher.publish(channel, 'timed out')).rejects.toThrow();
    expect(gaps).toBe(0);
    await until(() => gaps > 0, 5000);
    expect(gaps).toBe(1);
  });
});
