import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGateway, gatewaySettingsFrom } from '../../../gateway/server.js';
import { loadConfig } from '../../../lib/config.js';
import { startHttpServer } from '../../../lib/http-server.js';
import { openKeyValueStore } from '../../../lib/key-value-store.js';
import { createLogger } from '../../../lib/logger.js';
import { SIGNATURE_HEADER, signContent } from '../../../lib/request-signature.js';
import { createTokenService } from '../../../lib/tokens.js';
import { TEST_JWT_SECRET } from '../platform.js';
import { signScopedToken } from '../scoped-token.js';

/** A gateway under comparison: where to POST, and how to stop it. */
export interface RunningGateway {
  readonly label: string;
  readonly url: string;
  /** Ours only: a token it accepts for a new user, with `scope` as its `scope` claim. */
  readonly signIn?: (scope?: string) => Promise<string>;
  stop(): Promise<void>;
}

/**
 * Stock Apollo: Apollo Server 5 standalone with @apollo/gateway over `supergraphSdl`, defaults
 * everywhere, as bench/peers/apollo-server.ts runs it (in this process, on a free port).
 * Over the project's own subgraphs (`project`) it does what any deployment of it in front of
 * them must: it signs each subgraph request and forwards the client's Authorization header.
 */
export async function startStockGateway(
  supergraphSdl: string,
  project?: { subgraphUrls: Readonly<Record<string, string>>; signingSecret: string },
): Promise<RunningGateway> {
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: silentLogger,
    ...(project === undefined
      ? {}
      : { buildService: ({ name, url }) => new ProjectDataSource(project.signingSecret, project.subgraphUrls[name] ?? url) }),
  });
  const server = new ApolloServer<StockContext>({ gateway, logger: silentLogger });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  return { label: 'stock', url, stop: () => server.stop() };
}

interface StockContext {
  authorization: string | undefined;
}

/**
 * RemoteGraphQLDataSource as bench/peers/apollo-server.ts extends it: the signature covers the
 * body it sends (`JSON.stringify({ query, ...rest })`, APQ off), and the client's token goes along.
 */
class ProjectDataSource extends RemoteGraphQLDataSource<StockContext> {
  constructor(
    private readonly secret: string,
    url: string | undefined,
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<StockContext>): void {
    const { http, query, ...rest } = request;
    http?.headers.set(SIGNATURE_HEADER, signContent(this.secret, JSON.stringify({ query, ...rest })));
    const authorization = (context as Partial<StockContext>).authorization;
    if (authorization !== undefined) http?.headers.set('authorization', authorization);
  }
}

/**
 * Our gateway (gateway/server.ts) over `supergraphSdl` with every plugin as `npm start` has it
 * (gatewaySettingsFrom a test config), the response cache on or off. The cache lives in Redis
 * when REDIS_URL is set (under a namespace of its own), in memory otherwise.
 */
export async function startOurGateway(supergraphSdl: string, options: { responseCache: boolean }): Promise<RunningGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-federation-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PER_MINUTE: '100000',
    RESPONSE_CACHE_ENABLED: String(options.responseCache),
    CACHE_NAMESPACE: basename(dataDir),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  });
  const logger = createLogger({ level: config.log.level, pretty: false });
  const store = openKeyValueStore(config.redis.url, logger);
  const gateway = await createGateway({
    // The fixture supergraph carries its subgraphs' URLs.
    subgraphUrls: {},
    tokens: createTokenService(config.auth),
    store,
    logger,
    supergraphSdl,
    ...gatewaySettingsFrom(config),
  });
  const server = await startHttpServer(gateway.yoga, { port: 0, host: '127.0.0.1' });
  return {
    label: options.responseCache ? 'ours (response cache on)' : 'ours (response cache off)',
    signIn: (scope) => signScopedToken(config.auth, randomUUID(), scope),
    url: `http://127.0.0.1:${server.port}/graphql`,
    async stop() {
      await server.close(0);
      await gateway.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
