import type { PubSub } from '../../../lib/infra/pubsub.js';
import type { Logger } from '../../../lib/kernel/logger.js';
import type { MessageRow } from '../db/tables.js';
import {
  decodeMessagesAdded,
  decodeTyping,
  MESSAGES_ADDED_CHANNEL,
  TYPING_CHANNEL,
  type TypingSignal,
} from './message-events.js';

/**
 * The receiving side of real-time delivery in one messages instance: it subscribes to each
 * pub/sub channel ONCE and hands every event to the local subscriptions it concerns.
 *
 * Routing uses the member ids carried by the event, never a database read: a message goes to
 * the watchers of each member of its conversation (all conversations, or that one), so a
 * user no longer in the member list gets nothing more. Cost per event: its members, not all
 * watchers.
 *
 * Gaps: when the pub/sub says `messages:added` events may have been missed (its Redis
 * connection came back, or a publish failed somewhere), every message watcher's `onGap` runs,
 * and the stream catches up from PostgreSQL (message-stream.ts). Typing signals need no such
 * care: a lost one is superseded by the next, or by the typing TTL.
 */
export interface MessageFeed {
  /** Whether events can be missed at all (Redis); in memory, never, and `onGap` never runs. */
  readonly mayLoseEvents: boolean;
  /**
   * New messages of `conversationId` (or of all the viewer's conversations when null), in
   * arrival order; `onGap` when some may have been missed since the watch began.
   */
  watchMessages(
    filter: { viewerId: string; conversationId: string | null },
    listener: (message: MessageRow) => void,
    onGap?: () => void,
  ): () => void;
  /** Typing signals of one conversation the viewer is a member of (the viewer's own included). */
  watchTyping(filter: { viewerId: string; conversationId: string }, listener: (signal: TypingSignal) => void): () => void;
  /** Leaves the channels. */
  close(): void;
}

interface MessageWatcher {
  readonly conversationId: string | null;
  readonly listener: (message: MessageRow) => void;
  readonly onGap: (() => void) | undefined;
}

interface TypingWatcher {
  readonly viewerId: string;
  readonly listener: (signal: TypingSignal) => void;
}

export function createMessageFeed(pubsub: PubSub, logger: Logger): MessageFeed {
  /** By viewer id: the member ids of an event lead straight to its watchers. */
  const messageWatchers = new Map<string, Set<MessageWatcher>>();
  /** By conversation id. */
  const typingWatchers = new Map<string, Set<TypingWatcher>>();

  const notify = <A>(listener: (value: A) => void, value: A) => {
    try {
      listener(value);
    } catch (error) {
      logger.error({ err: error }, 'message feed listener failed');
    }
  };

  const onGap = () => {
    const watchers = [...messageWatchers.values()].flatMap((set) => [...set]);
    logger.warn(
      { subscriptions: watchers.length },
      `${MESSAGES_ADDED_CHANNEL} events may have been missed: subscriptions catch up`,
    );
    for (const watcher of watchers) if (watcher.onGap !== undefined) notify(watcher.onGap, undefined);
  };

  const leaveMessages = pubsub.subscribe(
    MESSAGES_ADDED_CHANNEL,
    (json) => {
      let event: ReturnType<typeof decodeMessagesAdded>;
      try {
        event = decodeMessagesAdded(json);
      } catch (error) {
        logger.error({ err: error }, `malformed ${MESSAGES_ADDED_CHANNEL} event dropped`);
        return;
      }
      for (const message of event.messages) {
        for (const memberId of event.members.get(message.conversation_id) ?? []) {
          const watchers = messageWatchers.get(memberId);
          if (watchers === undefined) continue;
          for (const watcher of [...watchers]) {
            if (watcher.conversationId === null || watcher.conversationId === message.conversation_id) {
              notify(watcher.listener, message);
            }
          }
        }
      }
    },
    { onGap },
  );

  const leaveTyping = pubsub.subscribe(TYPING_CHANNEL, (json) => {
    let signal: TypingSignal;
    try {
      signal = decodeTyping(json);
    } catch (error) {
      logger.error({ err: error }, `malformed ${TYPING_CHANNEL} event dropped`);
      return;
    }
    const members = signal.memberIds === undefined ? null : new Set(signal.memberIds);
    for (const watcher of [...(typingWatchers.get(signal.conversationId) ?? [])]) {
      if (members === null || members.has(watcher.viewerId)) notify(watcher.listener, signal);
    }
  });

  return {
    mayLoseEvents: pubsub.kind === 'redis',
    watchMessages({ viewerId, conversationId }, listener, onGap) {
      return addTo(messageWatchers, viewerId, { conversationId, listener, onGap });
    },
    watchTyping({ viewerId, conversationId }, listener) {
      return addTo(typingWatchers, conversationId, { viewerId, listener });
    },
    close() {
      leaveMessages();
      leaveTyping();
      messageWatchers.clear();
      typingWatchers.clear();
    },
  };
}

/** Adds `value` to the set under `key`; the returned function removes it (and the set once empty). */
function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): () => void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
  return () => {
    const current = map.get(key);
    if (current === undefined || !current.delete(value)) return;
    if (current.size === 0) map.delete(key);
  };
}
