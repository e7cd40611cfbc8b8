/** The gateway as its own process (deployments with several instances): `npm run start:gateway`. */
import { loadConfig } from '../lib/config.js';
import { startHttpServer } from '../lib/http-server.js';
import { openKeyValueStore } from '../lib/key-value-store.js';
import { createLogger } from '../lib/logger.js';
import { subgraphUrlsFrom, warnWithoutRedis } from '../lib/service-runtime.js';
import { exitOnStartupError, onShutdownSignal } from '../lib/shutdown.js';
import { createTokenService } from '../lib/tokens.js';
import { createGateway, gatewaySettingsFrom } from './server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'gateway' });
  warnWithoutRedis(config, logger);
  const store = openKeyValueStore(config.redis.url, logger);
  const gateway = await createGateway({
    subgraphUrls: { ...subgraphUrlsFrom(config) },
    tokens: createTokenService(config.auth),
    store,
    logger,
    ...gatewaySettingsFrom(config),
  });
  const server = await startHttpServer(gateway.yoga, { port: config.ports.gateway, host: config.host });
  const websockets = gateway.serveWebSockets(server.server);
  logger.info(`gateway ready at ${server.origin}/graphql`);
  onShutdownSignal(
    logger,
    async () => {
      // Subscribers first: 1012 makes their clients reconnect to another instance and catch up.
      await websockets.close();
      await server.close();
      await gateway.stop();
      await store.close();
    },
    { drainMs: config.shutdownDrainMs },
  );
}

main().catch(exitOnStartupError);
