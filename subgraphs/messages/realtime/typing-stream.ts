import { RateLimitedError } from '../../../lib/kernel/errors.js';
import { AsyncQueue } from '../../../lib/realtime/async-queue.js';
import type { MessageFeed } from './message-feed.js';
import { MAX_BUFFERED_EVENTS } from './message-stream.js';

/** A TypingEvent as the resolvers return it: User is a reference, resolved by the users subgraph. */
export interface TypingEventValue {
  conversationId: string;
  user: { id: string };
  typing: boolean;
}

/**
 * The event stream of one `typing` subscription, already authorized (the viewer is a member).
 * Other members' signals only, never the viewer's own. A `typing: true` that is not refreshed
 * within `ttlMs` is followed by a synthesized `typing: false` for that user, so a client that
 * closed its tab mid-sentence does not type forever: one timer per user of this subscription,
 * reset by each signal of that user, all cleared when the subscription ends.
 */
export function openTypingStream(options: {
  feed: MessageFeed;
  viewerId: string;
  conversationId: string;
  ttlMs: number;
}): AsyncIterableIterator<TypingEventValue> {
  const { feed, viewerId, conversationId, ttlMs } = options;
  const expiries = new Map<string, NodeJS.Timeout>();
  const queue = new AsyncQueue<TypingEventValue>({
    limit: MAX_BUFFERED_EVENTS,
    overflowError: () => new RateLimitedError('Subscription ended: too many typing events were waiting to be sent.', 0),
    onEnd: () => {
      unwatch();
      for (const timer of expiries.values()) clearTimeout(timer);
      expiries.clear();
    },
  });
  const unwatch = feed.watchTyping({ viewerId, conversationId }, ({ userId, typing }) => {
    if (userId === viewerId || queue.ended) return;
    clearTimeout(expiries.get(userId));
    expiries.delete(userId);
    queue.push({ conversationId, user: { id: userId }, typing });
    if (!typing) return;
    const timer = setTimeout(() => {
      expiries.delete(userId);
      queue.push({ conversationId, user: { id: userId }, typing: false });
    }, ttlMs);
    // Never what keeps a process alive at shutdown.
    timer.unref();
    expiries.set(userId, timer);
  });
  return queue;
}
