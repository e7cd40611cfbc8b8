import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGateway, gatewaySettingsFrom } from '../../gateway/server.js';
import { startHttpServer } from '../../lib/infra/http-server.js';
import { openKeyValueStore } from '../../lib/infra/key-value-store.js';
import type { Config } from '../../lib/kernel/config.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { SIGNATURE_HEADER, signContent } from '../../lib/kernel/request-signature.js';
import { createTokenService } from '../../lib/kernel/tokens.js';
import { comparisonConfig } from './comparison-config.js';

/** A gateway under comparison: where to POST, and how to stop it. */
export interface RunningGateway {
  readonly label: string;
  readonly url: string;
  /** Ours only: how it verifies tokens, for a caller that signs its own (a test's scoped token). */
  readonly auth?: Config['auth'];
  stop(): Promise<void>;
}

export interface StockGatewayOptions {
  /** Overrides the routing URLs of the supergraph, by subgraph name. */
  readonly subgraphUrls?: Readonly<Record<string, string>>;
  /** Signs each subgraph request as this project's subgraphs require (lib/kernel/request-signature.ts). */
  readonly signingSecret?: string | undefined;
  /** Client headers (lower-case names) passed on to every subgraph request. */
  readonly forwardHeaders?: readonly string[];
}

/**
 * Stock Apollo: Apollo Server 5 standalone with @apollo/gateway over `supergraphSdl`, defaults
 * everywhere, as bench/peers/apollo-server.ts runs it (in this process, on a free port). What a
 * deployment of it in front of given subgraphs must add, it is told: signing, headers to forward.
 */
export async function startStockGateway(supergraphSdl: string, options: StockGatewayOptions = {}): Promise<RunningGateway> {
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const forwardHeaders = options.forwardHeaders ?? [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: silentLogger,
    buildService: ({ name, url }) =>
      new ForwardingDataSource(options.subgraphUrls?.[name] ?? url, options.signingSecret, forwardHeaders),
  });
  const server = new ApolloServer<StockContext>({ gateway, logger: silentLogger });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({
      forwarded: Object.fromEntries(
        forwardHeaders.flatMap((name) => {
          const value = req.headers[name];
          return typeof value === 'string' ? [[name, value]] : [];
        }),
      ),
    }),
  });
  return { label: 'stock', url, stop: () => server.stop() };
}

interface StockContext {
  /** The client's headers to pass on, by lower-case name. */
  forwarded: Readonly<Record<string, string>>;
}

/**
 * RemoteGraphQLDataSource as bench/peers/apollo-server.ts extends it: the signature covers the
 * body it sends (`JSON.stringify({ query, ...rest })`, APQ off), and the client's headers go along.
 */
class ForwardingDataSource extends RemoteGraphQLDataSource<StockContext> {
  constructor(
    url: string | undefined,
    private readonly secret: string | undefined,
    private readonly forwardHeaders: readonly string[],
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<StockContext>): void {
    const { http, query, ...rest } = request;
    if (this.secret !== undefined) {
      http?.headers.set(SIGNATURE_HEADER, signContent(this.secret, JSON.stringify({ query, ...rest })));
    }
    // Apollo's own requests (health checks) carry no client context.
    const forwarded = (context as Partial<StockContext>).forwarded ?? {};
    for (const name of this.forwardHeaders) {
      const value = forwarded[name];
      if (value !== undefined) http?.headers.set(name, value);
    }
  }
}

export interface OurGatewayOptions {
  readonly responseCache: boolean;
  /** The entity cache (gateway/entity-cache/); on when absent, as by default. */
  readonly entityCache?: boolean;
  /** Its config's variables (comparisonConfig); the cache lives in Redis when REDIS_URL is set. */
  readonly env: NodeJS.ProcessEnv;
  /** Signs each subgraph request; unsigned when absent (a dev secret of the config's is not the subgraphs'). */
  readonly signingSecret?: string | undefined;
  /** Where its log lines go (file descriptor); stdout when absent. */
  readonly logDestination?: 1 | 2;
}

/**
 * Our gateway (gateway/server.ts) over `supergraphSdl` with every plugin as `npm start` has it
 * (gatewaySettingsFrom the comparison's config), the response cache on or off, routing to the
 * URLs the supergraph carries.
 */
export async function startOurGateway(supergraphSdl: string, options: OurGatewayOptions): Promise<RunningGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-federation-'));
  // What is started so far, stopped in reverse order: by stop(), or here when a later step fails.
  const started: (() => Promise<void>)[] = [async () => rmSync(dataDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const stopOne of started.splice(0).reverse()) await stopOne();
  };
  try {
    const config = comparisonConfig(options.env, {
      dataDir,
      responseCache: options.responseCache,
      entityCache: options.entityCache ?? true,
    });
    const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, destination: options.logDestination ?? 1 });
    const store = openKeyValueStore(config.redis.url, logger);
    started.push(() => store.close());
    const gateway = await createGateway({
      subgraphUrls: {},
      tokens: createTokenService(config.auth),
      store,
      logger,
      supergraphSdl,
      ...gatewaySettingsFrom(config),
      subgraphSigningSecret: options.signingSecret,
    });
    started.push(() => gateway.stop());
    const server = await startHttpServer(gateway.handler, { port: 0, host: '127.0.0.1' });
    started.push(() => server.close(0));
    return {
      label: `ours (response cache ${options.responseCache ? 'on' : 'off'}, entity cache ${options.entityCache === false ? 'off' : 'on'})`,
      url: `http://127.0.0.1:${server.port}/graphql`,
      auth: config.auth,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
