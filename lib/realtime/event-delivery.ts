import type { ExecutionArgs, ExecutionResult, GraphQLError } from 'graphql';
import type { Logger } from '../kernel/logger.js';
import type { BatchedSocket } from './batched-socket.js';
import type { RealtimeMetrics } from './realtime-metrics.js';
import type { SerializedResults } from './serialized-results.js';

/** Close code for a restart (graphql-ws clients reconnect on it, then resubscribe and catch up). */
export const SERVICE_RESTART = 1012;

/**
 * Where one subscription's events go, written in order past graphql-ws's per-operation loop
 * (direct-event-stream.ts). The socket server makes one per subscribe message and hands it to
 * the GraphQL layer on the execution arguments (`withDelivery` / `deliveryOf`): the GraphQL
 * layer pushes results and never sees the socket.
 */
export interface EventDelivery {
  /** One event's result, the next in order. */
  write(result: ExecutionResult): void;
  /** Undefined when the client can take more now; else when it can (a producer that pulls waits for it). */
  whenWritable(): Promise<void> | undefined;
  /** The source was lost rather than ended: the client reconnects and resumes (a socket closes with 1012). */
  lost(reason: string): void;
  /** `count` events of this operation will never be written: its source's bound overflowed (counted). */
  overflowed(count: number): void;
}

/** Execution arguments of an operation that came over a socket, carrying its delivery. */
type DeliveredArgs = ExecutionArgs & { readonly eventDelivery?: EventDelivery };

/** `args` with `delivery` on them, as graphql-ws then passes them to `subscribe`. */
export function withDelivery<A extends ExecutionArgs>(args: A, delivery: EventDelivery): A & DeliveredArgs {
  return Object.assign(args, { eventDelivery: delivery });
}

/** The delivery the socket server put on `args`; undefined over other transports (SSE pulls the events). */
export function deliveryOf(args: ExecutionArgs): EventDelivery | undefined {
  return (args as DeliveredArgs).eventDelivery;
}

/**
 * The delivery of operation `id` on a client socket: each result becomes the `next` frame
 * graphql-ws would send, serialized once per shared result object (SerializedResults), with
 * errors formatted as the process formats them, batched with the socket's other frames.
 *
 * A client more than `maxUnsentBytes` behind (written to its socket and not yet taken by the
 * network) is closed with 1012: it reconnects and resumes with catch-up, instead of the server
 * holding ever more of its events in memory. A result that cannot be written (a bug: results
 * are plain JSON) closes the socket with 1012 too, and is logged: the client catches up rather
 * than missing the event.
 */
export function socketDelivery(options: {
  socket: BatchedSocket;
  id: string;
  serializedResults: SerializedResults;
  /** What the client reads of an error: masked as the process masks every error. */
  formatError: (error: GraphQLError) => unknown;
  /** Undefined: no limit (the producer waits for the socket instead, subscribe-per-event.ts). */
  maxUnsentBytes?: number;
  logger: Logger;
  /** Deliveries and drops are counted here (lib/realtime/realtime-metrics.ts). */
  metrics: RealtimeMetrics;
}): EventDelivery {
  const { socket, id, serializedResults, formatError, maxUnsentBytes = Number.POSITIVE_INFINITY, logger, metrics } = options;
  return {
    write(result) {
      if (socket.unsentBytes > maxUnsentBytes) {
        metrics.dropped('client_behind');
        socket.close(SERVICE_RESTART, 'Too far behind: reconnect and resume');
        return;
      }
      try {
        const json =
          result.errors === undefined || result.errors.length === 0
            ? serializedResults.json(result)
            : JSON.stringify({ ...result, errors: result.errors.map(formatError) });
        socket.sendNext(id, json);
        metrics.delivered();
      } catch (error) {
        // Skipping the event would leave a gap: the client reconnects and catches up instead.
        metrics.dropped('unwritable');
        logger.error({ err: error }, 'could not write a subscription event');
        socket.close(SERVICE_RESTART, 'Could not write an event: reconnect and resume');
      }
    },
    whenWritable: () => socket.whenWritable(),
    lost: (reason) => socket.close(SERVICE_RESTART, reason),
    overflowed: (count) => metrics.dropped('queue_overflow', count),
  };
}
