import { describe, expect, it } from 'vitest';
import { registerUser } from './support/graphql.js';
import { publishMessages, sendMessage, startConversation } from './support/messages.js';
import { delta, sample, scrape } from './support/metrics.js';
import { usePlatform } from './support/platform.js';
import { eventually } from './support/until.js';
import { connectSocket, pausableWebSocket, subscribe, untilLive } from './support/websocket.js';

/**
 * The real-time metrics (lib/realtime/realtime-metrics.ts, docs/metrics.md) of the gateway and
 * the messages subgraph, read on /metrics of a platform of this file's own, so the counts are
 * exact: what the clients received is what the gateway counts as delivered.
 */

const platform = usePlatform();

const MESSAGE_ADDED = 'subscription ($c: ID) { messageAdded(conversationId: $c) { id body } }';

describe('real-time metrics', () => {
  it('count open sockets, running subscriptions and every event delivered, at the gateway and the messages subgraph', async () => {
    const url = platform.gatewayUrl;
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const before = { gateway: await scrape(platform, 'gateway'), messages: await scrape(platform, 'messages') };
    expect(sample(before.gateway, 'websockets_open')).toBe(0);
    expect(sample(before.gateway, 'subscriptions_active')).toBe(0);

    const sockets = [connectSocket(url, ada.token), connectSocket(url, bob.token)];
    const subscriptions = sockets.map((socket) => subscribe(socket, MESSAGE_ADDED, { c: conversation.id }));
    await untilLive(subscriptions, () => sendMessage(url, ada, conversation.id, 'warm-up'));
    const marker = await sendMessage(url, ada, conversation.id, 'marker');
    for (const subscription of subscriptions)
      await subscription.until((events) => events.some((event) => event.data?.messageAdded.id === marker.id));
    const received = subscriptions.reduce((sum, subscription) => sum + subscription.events.length, 0);

    const state = async () => {
      const gateway = await scrape(platform, 'gateway');
      const messages = await scrape(platform, 'messages');
      return {
        gatewaySockets: sample(gateway, 'websockets_open'),
        gatewaySubscriptions: sample(gateway, 'subscriptions_active'),
        gatewayDelivered: delta(before.gateway, gateway, 'subscription_events_delivered_total'),
        gatewayDropped: sample(gateway, 'subscription_events_dropped_total'),
        messagesSockets: sample(messages, 'websockets_open'),
        messagesSubscriptions: sample(messages, 'subscriptions_active'),
        messagesDelivered: delta(before.messages, messages, 'subscription_events_delivered_total'),
      };
    };
    /** Waits for the scraped state to reach `expected` (the last scrape is what the assertion shows). */
    const reaches = async (expected: Partial<Awaited<ReturnType<typeof state>>>) => {
      const matches = async () => {
        const now = await state();
        return Object.entries(expected).every(([key, value]) => now[key as keyof typeof now] === value);
      };
      await eventually(matches).catch(() => undefined);
      expect(await state()).toMatchObject(expected);
    };

    // Gateway: two client sockets and subscriptions; messages: the gateway's one socket, its two operations.
    await reaches({
      gatewaySockets: 2,
      gatewaySubscriptions: 2,
      gatewayDelivered: received,
      gatewayDropped: 0,
      messagesSockets: 1,
      messagesSubscriptions: 2,
    });
    // Warm-ups sent before a subscription took effect at the gateway may have been delivered by the subgraph only.
    expect((await state()).messagesDelivered).toBeGreaterThanOrEqual(received);

    subscriptions[0]?.unsubscribe();
    await reaches({ gatewaySubscriptions: 1, messagesSubscriptions: 1 });
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await reaches({ gatewaySockets: 0, gatewaySubscriptions: 0, messagesSubscriptions: 0 });
  });

  it('closes a client more than 8 MiB behind with 1012 and counts the event it could not be sent', async () => {
    const url = platform.gatewayUrl;
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const pausable = pausableWebSocket();
    const socket = connectSocket(url, bob.token, pausable.impl);
    const subscription = subscribe(socket, MESSAGE_ADDED, { c: conversation.id });
    await untilLive([subscription], () => sendMessage(url, ada, conversation.id, 'warm-up'));
    const before = await scrape(platform, 'gateway');
    pausable.created[0]?.pause();
    // 24 MB to a reader that stopped: past what the kernel buffers and the gateway's 8 MiB.
    const published = publishMessages(platform.pubsub, {
      conversationId: conversation.id,
      senderId: ada.id,
      memberIds: [ada.id, bob.id],
      count: 1500,
      body: 'x'.repeat(16 * 1024),
      seqs: { next: 3_000_000 },
    });
    await eventually(
      async () => delta(before, await scrape(platform, 'gateway'), 'subscription_events_dropped_total') > 0,
      20_000,
    );
    await published;
    pausable.created[0]?.resume();
    expect(await socket.closed).toEqual({ code: 1012, reason: 'Too far behind: reconnect and resume' });
    const after = await scrape(platform, 'gateway');
    expect(delta(before, after, 'subscription_events_dropped_total', { reason: 'client_behind' })).toBeGreaterThanOrEqual(1);
    expect(delta(before, after, 'subscription_events_dropped_total', { reason: 'unwritable' })).toBe(0);
  });
});
