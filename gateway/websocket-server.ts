import type { Server } from 'node:http';
import { type DocumentNode, type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { coalesceSends } from '../lib/coalesced-sends.js';
import { createEventWriter, SERVICE_RESTART } from '../lib/event-writer.js';
import type { Logger } from '../lib/logger.js';
import { SerializedResults } from '../lib/serialized-results.js';
import type { Viewer } from '../lib/tokens.js';
import type { GatewayContext } from './context.js';
import type { PresenceTracker } from './presence-tracker.js';

/** Larger frames are compressed; small ones (most events) are not worth the CPU. */
const DEFLATE_THRESHOLD_BYTES = 1024;
/** No client message (a subscribe document with variables) needs more. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const KEEPALIVE_MS = 12_000;
/** How far behind a client may fall before it is closed to resume later (lib/event-writer.ts). */
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

interface SocketState {
  viewer: Viewer | null;
  expiryTimer?: NodeJS.Timeout;
}

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
    /** The masking of Yoga's `maskedErrors`, for events written past Yoga (lib/event-writer.ts). */
    maskError: (error: unknown) => Error;
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
  const states = new WeakMap<object, SocketState>();
  const serializedResults = new SerializedResults();
  const sends = coalesceSends(wss);

  const serverCleanup = useServer<Record<string, unknown> | undefined, { state: SocketState }>(
    {
      async onConnect(ctx) {
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        let viewer: Viewer | null;
        try {
          viewer = await deps.authenticate(typeof authorization === 'string' ? authorization : null);
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
        const state: SocketState = { viewer };
        states.set(ctx.extra.socket, state);
        if (viewer !== null) {
          const socket = ctx.extra.socket;
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
        if (state.viewer !== null) await deps.presence.disconnected(state.viewer.id);
      },

      async onSubscribe(ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> {
        const socket = ctx.extra.socket;
        const viewer = states.get(socket)?.viewer ?? null;
        const connection = { restart: (reason: string) => socket.close(SERVICE_RESTART, reason) };
        // `req` (the upgrade request) gives plugins the client's address, as Yoga's server context does over HTTP.
        const { schema, execute, subscribe, contextFactory, parse, validate } = deps.yoga.getEnveloped({
          viewer,
          connection,
          req: ctx.extra.request,
          eventWriter: createEventWriter({
            socket,
            id,
            sends,
            serializedResults,
            formatError: deps.maskError,
            maxUnsentBytes: MAX_UNSENT_BYTES,
            logger: deps.logger,
          }),
        });
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },

      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
    },
    wss,
    KEEPALIVE_MS,
  );

  wss.on('error', (error) => deps.logger.error({ err: error }, 'WebSocket server error'));
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
