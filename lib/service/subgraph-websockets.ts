import type { Server } from 'node:http';
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  parse,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../kernel/logger.js';
import { checkSignature, SIGNATURE_PARAM, WEBSOCKET_SIGNED_CONTENT } from '../kernel/request-signature.js';
import type { TokenService, Viewer } from '../kernel/tokens.js';
import { selectsViewerDependentField } from '../kernel/viewer-dependence.js';
import { socketDelivery, withDelivery } from '../realtime/event-delivery.js';
import { MERGED_NEXT_PARAM } from '../realtime/frames.js';
import type { RealtimeMetrics } from '../realtime/realtime-metrics.js';
import { SerializedResults } from '../realtime/serialized-results.js';
import { SharedExecutions } from '../realtime/shared-executions.js';
import { serveSockets } from '../realtime/socket-server.js';
import { subscribeWithContextPerEvent } from '../realtime/subscribe-per-event.js';
import { parseWithNestingLimit } from './document-nesting.js';
import { findNulArgument, nulArgumentError } from './nul-free-arguments.js';
import { createErrorMasker } from './yoga-options.js';

/** A subgraph's graphql-ws endpoint on its HTTP server. */
export interface WebSocketEndpoint {
  /** Closes every socket (ending their subscriptions) and stops accepting new ones. */
  close(): Promise<void>;
}

/** Larger messages close the socket (1009): a subscribe message is a query and some variables. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** How long close() lets sockets finish the close handshake before cutting them. */
const CLOSE_GRACE_MS = 1000;
/** The gateway's socket is pinged this often and cut after one unanswered ping (as graphql-ws's own keep-alive did). */
const HEARTBEAT = { intervalMs: 12_000, missedPingsAllowed: 1 };

/** What onSubscribe prepares for `subscribe`, carried on the execution arguments themselves. */
interface SubgraphOperation {
  /** One more context for the operation's viewer: each event runs with a fresh one (subscribe-per-event.ts). */
  readonly newContext: () => object;
  /** Set when the operation selects no viewer-dependent field: its subscribers share executions. */
  readonly shared: { readonly executions: SharedExecutions; readonly operationKey: string } | undefined;
}

type SubgraphOperationArgs = ExecutionArgs & { readonly subgraphOperation: SubgraphOperation };

/**
 * Serves the subgraph's schema over graphql-ws (protocol `graphql-transport-ws`) at /graphql,
 * beside its HTTP endpoint: what the gateway uses for subscriptions.
 *
 * Identity is per operation, not per socket: the gateway multiplexes the subscriptions of many
 * viewers over one socket per subgraph, so each subscribe message carries its viewer's
 * `Authorization` value in `payload.extensions.authorization` ("Bearer <jwt>"). When the key is
 * absent, `connectionParams.authorization` of the socket applies (a client connecting directly).
 * The token is verified here again, exactly as on HTTP; a bad one fails that operation with
 * UNAUTHENTICATED and the socket stays open. Each operation gets the context HTTP requests get
 * (`createContext(viewer)`), each subscription event a fresh one (subscribe-per-event.ts), and
 * errors are masked by the HTTP rule (yoga-options.ts).
 *
 * Request errors (syntax, validation, bad token) arrive as graphql-ws `error` messages;
 * execution errors (no viewer, FORBIDDEN, NOT_FOUND, ...) as a `next` with `errors`, then
 * `complete`, as graphql-js reports them.
 */
export function serveSubgraphWebSockets(
  server: Server,
  options: {
    schema: GraphQLSchema;
    tokens: TokenService;
    /** connection_init must carry `signature`, signed with it (lib/kernel/request-signature.ts); else 4403. */
    signingSecret: string;
    logger: Logger;
    createContext: (viewer: Viewer | null) => object;
    /** `Type.field` of the schema's viewer-dependent fields (lib/kernel/viewer-dependence.ts). */
    viewerDependentFields: ReadonlySet<string>;
    metrics: RealtimeMetrics;
  },
): WebSocketEndpoint {
  const { schema, tokens, logger, metrics } = options;
  const mask = createErrorMasker(logger);
  const format = (error: GraphQLError): GraphQLFormattedError => formatForClient(mask(error));
  /** Executions of live events shared by subscribers of one viewer-independent operation. */
  const sharedExecutions = new SharedExecutions();

  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_PAYLOAD_BYTES });
  const serializedResults = new SerializedResults();
  let closing: Promise<void> | undefined;
  const graphqlWs = serveSockets(
    wsServer,
    {
      schema,
      onConnect(ctx) {
        // Only the gateway may connect: false closes the socket with 4403 Forbidden.
        const signature = ctx.connectionParams?.[SIGNATURE_PARAM];
        if (
          checkSignature(options.signingSecret, typeof signature === 'string' ? signature : null, WEBSOCKET_SIGNED_CONTENT) !==
          'valid'
        ) {
          return false;
        }
        // The gateway multiplexes every subscription on one socket: the same payload for several
        // of its operations goes out in one frame when it asked so.
        if (ctx.connectionParams?.[MERGED_NEXT_PARAM] === true) ctx.extra.socket.mergesNext = true;
        return true;
      },
      async onSubscribe(ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> {
        let document: DocumentNode;
        try {
          document = parseWithNestingLimit(payload.query, parse);
        } catch (error) {
          return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
        }
        const invalid = validate(schema, document);
        if (invalid.length > 0) return invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        const nulField = findNulArgument(document, payload.variables);
        if (nulField !== undefined) return [nulArgumentError(nulField)];

        let viewer: Viewer | null;
        try {
          viewer = await tokens.viewerFromHeader(authorizationOf(payload, ctx.connectionParams));
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const newContext = () => options.createContext(viewer);
        const operation: SubgraphOperation = {
          newContext,
          shared: selectsViewerDependentField(schema, document, options.viewerDependentFields)
            ? undefined
            : {
                executions: sharedExecutions,
                operationKey: JSON.stringify([payload.query, payload.operationName ?? null, payload.variables ?? null]),
              },
        };
        const args: SubgraphOperationArgs = {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: newContext(),
          subgraphOperation: operation,
        };
        return withDelivery(
          args,
          socketDelivery({ socket: ctx.extra.socket, id, serializedResults, formatError: format, logger, metrics }),
        );
      },
      subscribe(args) {
        // graphql-ws hands `subscribe` the very arguments onSubscribe returned.
        const operation = (args as Partial<SubgraphOperationArgs>).subgraphOperation;
        if (operation === undefined) throw new Error('subscription without the arguments onSubscribe made');
        return subscribeWithContextPerEvent(args, operation.newContext, { shared: operation.shared });
      },
      // Results graphql-ws sends itself (queries; a subscription's refusal or failure).
      onNext(_ctx, _id, _payload, _args, result) {
        if (result.errors === undefined || result.errors.length === 0) return undefined;
        return { ...result, errors: result.errors.map(format) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(format),
    },
    { logger, heartbeat: HEARTBEAT, metrics },
  );

  return {
    async close() {
      // Idempotent: a test may close the endpoint before the platform stops.
      if (closing !== undefined) return closing;
      closing = closeNow();
      return closing;
    },
  };

  async function closeNow(): Promise<void> {
    // Sockets that do not answer the close handshake are cut after a grace period.
    const cut = setTimeout(() => {
      for (const socket of wsServer.clients) socket.terminate();
    }, CLOSE_GRACE_MS);
    cut.unref();
    try {
      await graphqlWs.dispose();
    } finally {
      clearTimeout(cut);
    }
  }
}

/** The operation's own `extensions.authorization` when the key is there (even null: anonymous), else the socket's. */
function authorizationOf(
  payload: SubscribePayload,
  connectionParams: Readonly<Record<string, unknown>> | undefined,
): string | null {
  const extensions = payload.extensions ?? {};
  const value = 'authorization' in extensions ? extensions.authorization : connectionParams?.authorization;
  return typeof value === 'string' ? value : null;
}

/** Parse and validation errors carry their code like every other error (API.md). */
function withCode(error: unknown, code: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED'): GraphQLError {
  if (!(error instanceof GraphQLError)) throw error;
  return new GraphQLError(error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    extensions: { ...error.extensions, code },
  });
}

/** The JSON a client reads, without the internal extensions Yoga also leaves out (`http`, `unexpected`). */
function formatForClient(error: Error): GraphQLFormattedError {
  const formatted = error instanceof GraphQLError ? error.toJSON() : { message: error.message };
  if (formatted.extensions === undefined) return formatted;
  const { http: _http, unexpected: _unexpected, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
