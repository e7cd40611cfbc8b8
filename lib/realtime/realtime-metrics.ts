import { Counter, Gauge, type Registry } from 'prom-client';

/** Why an event of a subscription was never written to its client. */
export type DropReason =
  /** The client was more than its limit behind: its socket closed with 1012 (it resumes with `after`). */
  | 'client_behind'
  /** The result could not be serialized (a bug): the socket closed with 1012. */
  | 'unwritable'
  /** More events waited than the subscription's bound: they went with it (RATE_LIMITED; it resumes with `after`). */
  | 'queue_overflow';

/** What a socket server counts (docs/metrics.md): sockets, subscriptions, events delivered and dropped. */
export interface RealtimeMetrics {
  socketOpened(): void;
  socketClosed(): void;
  subscriptionStarted(): void;
  subscriptionEnded(): void;
  delivered(): void;
  dropped(reason: DropReason, count?: number): void;
}

/**
 * `websockets_open`, `subscriptions_active`, `subscription_events_delivered_total` and
 * `subscription_events_dropped_total{reason}` on `registry` (its `service` label tells the
 * gateway from each subgraph). Events count per subscription: one event sent to 50
 * subscribers is 50 deliveries.
 */
export function createRealtimeMetrics(registry: Registry): RealtimeMetrics {
  const sockets = new Gauge({ name: 'websockets_open', help: 'Open WebSocket connections.', registers: [registry] });
  const subscriptions = new Gauge({
    name: 'subscriptions_active',
    help: 'Subscriptions running over WebSockets.',
    registers: [registry],
  });
  const delivered = new Counter({
    name: 'subscription_events_delivered_total',
    help: 'Subscription events written to a client socket (one per subscription).',
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'subscription_events_dropped_total',
    help: 'Subscription events never written to their client, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of ['client_behind', 'unwritable', 'queue_overflow'] as const) dropped.labels(reason).inc(0);
  return {
    socketOpened: () => sockets.inc(),
    socketClosed: () => sockets.dec(),
    subscriptionStarted: () => subscriptions.inc(),
    subscriptionEnded: () => subscriptions.dec(),
    delivered: () => delivered.inc(),
    dropped: (reason, count = 1) => dropped.labels(reason).inc(count),
  };
}
