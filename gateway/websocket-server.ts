import type { Server } from 'node:http';
import { type DocumentNode, type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Config } from '../lib/kernel/config.js';
import { RateLimitedError } from '../lib/kernel/errors.js';
import type { Logger } from '../lib/kernel/logger.js';
import type { Viewer } from '../lib/kernel/tokens.js';
import type { BatchedSocket } from '../lib/realtime/batched-socket.js';
import { SERVICE_RESTART, socketDelivery, withDelivery } from '../lib/realtime/event-delivery.js';
import type { RealtimeMetrics } from '../lib/realtime/realtime-metrics.js';
import { SerializedResults } from '../lib/realtime/serialized-results.js';
import { serveSockets } from '../lib/realtime/socket-server.js';
import type { GatewayContext } from './context.js';
import { clientIp } from './plugins/rate-limit.js';
import type { PresenceTracker } from './presence-tracker.js';

/** Larger frames are compressed; small ones (most events) are not worth the CPU. */
const DEFLATE_THRESHOLD_BYTES = 1024;
/** No client message (a subscribe document with variables) needs more. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** How far behind a client may fall before it is closed to resume later (lib/realtime/event-delivery.ts). */
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

interface SocketState {
  viewer: Viewer | null;
  /** The client's address, as the caps count it. */
  address: string;
  expiryTimer?: NodeJS.Timeout;
}

/** The arguments onSubscribe makes: Yoga's execute and subscribe for the operation travel with them. */
type EnvelopedArgs = ExecutionArgs & {
  readonly enveloped: { execute(args: ExecutionArgs): unknown; subscribe(args: ExecutionArgs): unknown };
};

/** Closes a socket over a cap: "try again later", which graphql-ws clients retry with backoff. */
const TRY_AGAIN_LATER = 1013;

export interface GatewayWebSockets {
  /** Open sockets now. */
  readonly size: number;
  /** Closes every socket with 1012 (clients reconnect elsewhere and resume), then the server. */
  close(): Promise<void>;
}

/**
 * The public graphql-transport-ws endpoint at /graphql, beside Yoga's HTTP handler on the same
 * port. Operations run through Yoga's envelop pipeline (the same parsing, validation, error
 * masking and plugins as HTTP), so subscriptions reach FederatedSubscriptions and queries the
 * Apollo Gateway executor.
 *
 * Identity comes from `connectionParams.authorization` at connection_init: a bad or expired
 * token closes the socket with 4403; no token makes an anonymous connection (whose
 * subscriptions the subgraphs answer UNAUTHENTICATED). The socket closes with 4403 when its
 * token expires; graphql-ws clients reconnect, calling their connectionParams again for a
 * fresh token. Authenticated sockets count as presence.
 */
export function serveGatewayWebSockets(
  server: Server,
  deps: {
    yoga: YogaServerInstance<object, GatewayContext>;
    /** The viewer of a bearer token (verified, its account existing); null without one; throws when invalid. */
    authenticate(header: string | null): Promise<Viewer | null>;
    presence: PresenceTracker;
    logger: Logger;
    /** The masking of Yoga's `maskedErrors`, for events written past Yoga (lib/realtime/event-delivery.ts). */
    maskError: (error: unknown) => Error;
    /** Heartbeat and caps (lib/kernel/config.ts, WEBSOCKET_*). */
    limits: Config['webSockets'];
    /** The client address behind a proxy (TRUST_PROXY), as the rate limit takes it. */
    trustProxy: boolean;
    /** Sockets, subscriptions, deliveries and drops (lib/realtime/realtime-metrics.ts). */
    metrics: RealtimeMetrics;
  },
): GatewayWebSockets {
  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: MAX_MESSAGE_BYTES,
    // Without no_context_takeover, ws compresses every frame whatever its size (the threshold
    // applies only with it), and keeps a zlib context per socket: measured as the gateway's
    // largest CPU cost under fan-out. Small events go out plain.
    perMessageDeflate: {
      threshold: DEFLATE_THRESHOLD_BYTES,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    },
  });
  const states = new WeakMap<BatchedSocket, SocketState>();
  const { limits } = deps;
  const socketsPerViewer = new Counts();
  const socketsPerAddress = new Counts();
  const serializedResults = new SerializedResults();

  const serverCleanup = serveSockets<Record<string, unknown> | undefined>(
    wss,
    {
      async onConnect(ctx) {
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        let viewer: Viewer | null;
        try {
          viewer = await deps.authenticate(typeof authorization === 'string' ? authorization : null);
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
        const socket = ctx.extra.socket;
        const address = clientIp({ req: ctx.extra.request }, deps.trustProxy);
        const refusal =
          socketsPerAddress.get(address) >= limits.maxPerAddress
            ? `Too many connections from this address (at most ${limits.maxPerAddress})`
            : viewer !== null && socketsPerViewer.get(viewer.id) >= limits.maxPerViewer
              ? `Too many connections for this viewer (at most ${limits.maxPerViewer})`
              : undefined;
        if (refusal !== undefined) {
          socket.close(TRY_AGAIN_LATER, refusal);
          return false;
        }
        const state: SocketState = { viewer, address };
        states.set(socket, state);
        socketsPerAddress.add(address);
        if (viewer !== null) socketsPerViewer.add(viewer.id);
        if (viewer !== null) {
          const msLeft = Math.max(0, viewer.expiresAt - Date.now());
          // setTimeout holds at most ~24.8 days; tokens live far shorter.
          state.expiryTimer = setTimeout(() => socket.close(CloseCode.Forbidden, 'Token expired'), Math.min(msLeft, 2 ** 31 - 1));
          state.expiryTimer.unref();
          await deps.presence.connected(viewer.id);
        }
        return true;
      },

      async onClose(ctx) {
        const state = states.get(ctx.extra.socket);
        if (state === undefined) return;
        states.delete(ctx.extra.socket);
        clearTimeout(state.expiryTimer);
        socketsPerAddress.remove(state.address);
        if (state.viewer !== null) socketsPerViewer.remove(state.viewer.id);
        if (state.viewer !== null) await deps.presence.disconnected(state.viewer.id);
      },

      async onSubscribe(ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> {
        // graphql-ws has registered this operation already: more than the cap are open with it.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptions) {
          return [
            new RateLimitedError(`At most ${limits.maxSubscriptions} operations can be open on one connection.`, 0, {
              limit: 'WEBSOCKET_MAX_SUBSCRIPTIONS',
            }),
          ];
        }
        const socket = ctx.extra.socket;
        // An operation may carry its own token (GraphiQL sends its Headers tab this way): it is
        // verified like the HTTP header and holds for that operation only.
        let viewer = states.get(socket)?.viewer ?? null;
        const ownAuthorization = operationAuthorization(payload.extensions);
        if (ownAuthorization !== undefined) {
          try {
            viewer = await deps.authenticate(ownAuthorization);
          } catch (error) {
            if (error instanceof GraphQLError) return [error];
            throw error;
          }
        }
        // `req` (the upgrade request) gives plugins the client's address, as Yoga's server context does over HTTP.
        const { schema, execute, subscribe, contextFactory, parse, validate } = deps.yoga.getEnveloped({
          viewer,
          transport: 'websocket',
          req: ctx.extra.request,
        });
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const args: EnvelopedArgs = {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          enveloped: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length > 0) return errors;
        // Subscription events go straight to the socket (FederatedSubscriptions writes them to this delivery).
        const delivery = socketDelivery({
          socket,
          id,
          serializedResults,
          formatError: deps.maskError,
          maxUnsentBytes: MAX_UNSENT_BYTES,
          logger: deps.logger,
          metrics: deps.metrics,
        });
        return withDelivery(args, delivery);
      },

      // graphql-ws hands these the very arguments onSubscribe returned: Yoga's pipeline for this operation.
      execute: (args) => (args as EnvelopedArgs).enveloped.execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).enveloped.subscribe(args) as never,
    },
    { logger: deps.logger, heartbeat: { intervalMs: limits.pingIntervalMs, missedPingsAllowed: 2 }, metrics: deps.metrics },
  );

  let closed = false;

  return {
    get size() {
      return wss.clients.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const socket of wss.clients) socket.close(SERVICE_RESTART, 'Server restarting: reconnect and resume');
      await serverCleanup.dispose();
    },
  };
}

/** `extensions.headers.Authorization` of a subscribe message (any case), when it has one. */
function operationAuthorization(extensions: Readonly<Record<string, unknown>> | null | undefined): string | undefined {
  const headers = extensions?.headers;
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') return value;
  }
  return undefined;
}

/** Open sockets per key (a viewer, an address), forgetting keys that reach zero. */
class Counts {
  readonly #counts = new Map<string, number>();

  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.#counts.set(key, this.get(key) + 1);
  }

  remove(key: string): void {
    const left = this.get(key) - 1;
    if (left > 0) this.#counts.set(key, left);
    else this.#counts.delete(key);
  }
}
