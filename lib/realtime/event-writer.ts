import type { GraphQLError } from 'graphql';
import type { WebSocket } from 'ws';
import type { Logger } from '../kernel/logger.js';
import type { CoalescedSends } from './coalesced-sends.js';
import type { EventWriter } from './direct-event-stream.js';
import type { SerializedResults } from './serialized-results.js';

/** Close code for a restart (graphql-ws clients reconnect on it, then resubscribe and catch up). */
export const SERVICE_RESTART = 1012;

/**
 * The writer of one subscription's events (direct-event-stream.ts) on one client socket: each
 * result becomes the `next` frame graphql-ws would send, serialized once per shared result
 * object (SerializedResults), with errors formatted as the process formats them, and goes out
 * batched with the socket's other frames (coalesceSends).
 *
 * A client more than `maxUnsentBytes` behind (written to its socket and not yet taken by the
 * network) is closed with 1012: it reconnects and resumes with catch-up, instead of the gateway
 * holding ever more of its events in memory.
 *
 * A result that cannot be written (a bug: results are plain JSON) closes the socket with 1012
 * too, and is logged: the client catches up rather than missing the event.
 *
 * Undefined for an id that needs JSON escapes (no graphql-ws client makes such ids): that
 * subscription takes graphql-ws's own path.
 */
export function createEventWriter(options: {
  socket: WebSocket;
  id: string;
  sends: CoalescedSends;
  serializedResults: SerializedResults;
  /** What the client reads of an error: masked as the process masks every error. */
  formatError: (error: GraphQLError) => unknown;
  /** Undefined: no limit (the producer waits for the socket instead, lib/realtime/subscribe-per-event.ts). */
  maxUnsentBytes?: number;
  logger: Logger;
}): EventWriter | undefined {
  const { socket, id, sends, serializedResults, formatError, maxUnsentBytes = Number.POSITIVE_INFINITY, logger } = options;
  if (JSON.stringify(id) !== `"${id}"`) return undefined;
  return {
    write(result) {
      if (socket.bufferedAmount > maxUnsentBytes) {
        socket.close(SERVICE_RESTART, 'Too far behind: reconnect and resume');
        return;
      }
      try {
        const json =
          result.errors === undefined || result.errors.length === 0
            ? serializedResults.json(result)
            : JSON.stringify({ ...result, errors: result.errors.map(formatError) });
        sends.sendNext(socket, id, json);
      } catch (error) {
        // Skipping the event would leave a gap: the client reconnects and catches up instead.
        logger.error({ err: error }, 'could not write a subscription event');
        socket.close(SERVICE_RESTART, 'Could not write an event: reconnect and resume');
      }
    },
  };
}
