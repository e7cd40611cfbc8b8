import { print } from 'graphql';
import { CloseCode, createClient } from 'graphql-ws';
import {
  MessageAddedDocument,
  type MessageAddedSubscription,
  type MessageAddedSubscriptionVariables,
} from '../generated/graphql.js';
import type { ApiError } from './http-client.js';

/**
 * A live `messageAdded` stream that survives lost connections without losing or repeating a
 * message, as a mobile app needs it (the phone changes networks, the gateway restarts).
 *
 * - graphql-ws reconnects by itself (`retryAttempts`, `retryWait`); `shouldRetry` says which
 *   failures are worth it: every lost connection and network error (graphql-ws's default gives
 *   up on a refused connection), and one 4403 (a token that expired: the reconnect reads
 *   `token()` again), but not a second 4403 in a row (sign in again).
 * - On each reconnect graphql-ws subscribes again with the same payload. Its `variables` carry
 *   `after` = the last message delivered, so the gateway first replays what was sent meanwhile,
 *   in order, then goes live (docs/API.md, `messageAdded`): no gap and no duplicate.
 * - The gateway may end the subscription itself, asking to subscribe again with `after`
 *   (RATE_LIMITED, a replay of more than 1,000 messages, a failed catch-up read): the stream
 *   does, after `retryAfter`.
 */

export type Message = MessageAddedSubscription['messageAdded'];

/** Why a stream stopped for good (never after `close()`). */
export type StopReason =
  /** The server ended the subscription with errors that resubscribing cannot fix (e.g. UNAUTHENTICATED, FORBIDDEN). */
  | { kind: 'errors'; errors: readonly ApiError[] }
  /** The connection was refused or lost for good: 4403 twice in a row (sign in again), a fatal code, or retries used up. */
  | { kind: 'closed'; code: number | undefined; reason: string }
  /** The server completed the subscription. */
  | { kind: 'completed' };

export interface MessageStreamOptions {
  /** The gateway's WebSocket URL, e.g. ws://localhost:4000/graphql. */
  url: string;
  /** Read at every (re)connect and sent as `connectionParams.authorization`: where a refreshed token comes in. */
  token: () => string | Promise<string>;
  /** One conversation; all of the viewer's when left out. */
  conversationId?: string;
  /**
   * The newest message the app already has (the first node of `Conversation.messages`): the
   * stream starts right after it, so nothing sent between that read and the subscription is lost.
   */
  after?: string;
  /**
   * The text sent for MessageAddedDocument: its print by default. A gateway with
   * PERSISTED_OPERATIONS_ONLY=true runs only manifest texts over the socket: pass
   * `manifest[documentIdOf(MessageAddedDocument)]` (clients/generated/persisted-documents.json).
   */
  query?: string;
  onMessage(message: Message): void;
  onStop?(reason: StopReason): void;
  /** Each acknowledged connection; `reconnected` after a lost one. */
  onConnected?(reconnected: boolean): void;
  /** Each lost connection (a reconnect follows unless `onStop` is called). */
  onDisconnected?(code: number | undefined): void;
  /** A WebSocket class where there is no global one (Node 20: `ws`). */
  webSocketImpl?: unknown;
  /** Failed reconnects in a row before giving up (graphql-ws counts from the last good connection); 10 by default. */
  retryAttempts?: number;
  /** The wait before reconnect number `retries` (0-based); `backoff` by default. */
  retryWait?: (retries: number) => Promise<void>;
}

export interface MessageStream {
  /** The last message delivered: `after` for a new stream that picks up where this one stopped. */
  readonly lastMessageId: string | undefined;
  close(): Promise<void>;
}

export function followMessages(options: MessageStreamOptions): MessageStream {
  const retryAttempts = options.retryAttempts ?? 10;
  const retryWait = options.retryWait ?? backoff;
  const query = options.query ?? print(MessageAddedDocument);
  let lastMessageId = options.after;
  let stopped = false;
  let unsubscribe: () => void = () => undefined;
  let resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resubscriptions since the last message delivered: a refusal that persists ends the stream. */
  let resubscribes = 0;
  /** 4403 closes since the last acknowledged connection. */
  let refusals = 0;

  const client = createClient({
    url: options.url,
    webSocketImpl: options.webSocketImpl,
    connectionParams: async () => ({ authorization: `Bearer ${await options.token()}` }),
    retryAttempts,
    retryWait,
    // One subscription per client, so graphql-ws asks once per failure.
    shouldRetry: (errorOrCloseEvent) => closeCodeOf(errorOrCloseEvent) !== CloseCode.Forbidden || ++refusals <= 1,
    // A resubscription right after the server ended one keeps the socket instead of a new handshake.
    lazyCloseTimeout: 3000,
    on: {
      connected: (_socket, _payload, wasRetry) => {
        refusals = 0;
        options.onConnected?.(wasRetry);
      },
      closed: (event) => {
        if (!stopped) options.onDisconnected?.(closeCodeOf(event));
      },
    },
  });

  function subscribe(): void {
    let delivered = false;
    let errors: readonly ApiError[] = [];
    const variables = (): MessageAddedSubscriptionVariables => ({
      conversationId: options.conversationId ?? null,
      after: lastMessageId ?? null,
    });
    unsubscribe = client.subscribe<MessageAddedSubscription>(
      {
        query,
        // Read each time graphql-ws sends the payload, i.e. on every resubscription after a reconnect.
        get variables() {
          return variables();
        },
      },
      {
        next(result) {
          const message = result.data?.messageAdded;
          if (message !== undefined && message !== null) {
            lastMessageId = message.id;
            delivered = true;
            resubscribes = 0;
            errors = [];
            options.onMessage(message);
          } else if (result.errors !== undefined) {
            // An event without its message (e.g. a subgraph that did not answer for it) keeps the
            // stream open; errors that end it come last, before `complete`.
            errors = result.errors as readonly ApiError[];
          }
        },
        error(error) {
          if (Array.isArray(error)) ended(error as ApiError[], delivered);
          else stop({ kind: 'closed', code: closeCodeOf(error), reason: reasonOf(error) });
        },
        complete() {
          if (errors.length > 0) ended(errors, delivered);
          else stop({ kind: 'completed' });
        },
      },
    );
  }

  /** The server ended the subscription with `errors`: subscribe again from `lastMessageId`, or stop. */
  function ended(errors: readonly ApiError[], delivered: boolean): void {
    if (stopped) return;
    const delayMs = resumeDelayMs(errors, delivered);
    if (delayMs === undefined || resubscribes >= retryAttempts) {
      stop({ kind: 'errors', errors });
      return;
    }
    resubscribes++;
    const attempt = resubscribes;
    resubscribeTimer = setTimeout(async () => {
      // Right away after progress (a capped replay); with backoff while nothing comes through.
      if (attempt > 1) await retryWait(attempt - 1);
      if (!stopped) subscribe();
    }, delayMs);
  }

  function stop(reason: StopReason): void {
    if (stopped) return;
    stopped = true;
    clearTimeout(resubscribeTimer);
    void client.dispose();
    options.onStop?.(reason);
  }

  subscribe();
  return {
    get lastMessageId() {
      return lastMessageId;
    },
    async close() {
      stopped = true;
      clearTimeout(resubscribeTimer);
      unsubscribe();
      await client.dispose();
    },
  };
}

/**
 * How long to wait before subscribing again with `after`, when the errors that ended a
 * subscription all ask for it (docs/clients.md, "Errors to handle"); undefined when one does not.
 * `delivered`: messages came through since subscribing, so BAD_USER_INPUT on `after` is the
 * replay cap (1,000 sent, more to come), not an `after` the viewer cannot see.
 */
export function resumeDelayMs(errors: readonly ApiError[], delivered: boolean): number | undefined {
  if (errors.length === 0) return undefined;
  let delayMs = 0;
  for (const { extensions } of errors) {
    switch (extensions?.code) {
      case 'RATE_LIMITED':
        delayMs = Math.max(delayMs, (extensions.retryAfter ?? 1) * 1000);
        break;
      case 'BAD_USER_INPUT':
        if (extensions.field !== 'after' || !delivered) return undefined;
        break;
      case 'INTERNAL_SERVER_ERROR':
      case 'SUBGRAPH_UNAVAILABLE':
      case 'SUBGRAPH_TIMEOUT':
        delayMs = Math.max(delayMs, 1000);
        break;
      default:
        return undefined;
    }
  }
  return delayMs;
}

/** Exponential backoff with full jitter, up to 0.5 s doubling to 30 s: phones reconnecting after a restart spread out. */
export async function backoff(retries: number): Promise<void> {
  const ceilingMs = Math.min(30_000, 500 * 2 ** retries);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
}

function closeCodeOf(event: unknown): number | undefined {
  const code = (event as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function reasonOf(error: unknown): string {
  const reason = (error as { reason?: unknown; message?: unknown } | null)?.reason ?? (error as { message?: unknown })?.message;
  return typeof reason === 'string' ? reason : String(error);
}
