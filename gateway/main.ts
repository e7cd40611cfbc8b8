/** The gateway as its own process (deployments with several instances): `npm run start:gateway`. */

import { startHttpServer } from '../lib/infra/http-server.js';
import { openKeyValueStore } from '../lib/infra/key-value-store.js';
import { exitOnStartupError, onShutdownSignal } from '../lib/infra/shutdown.js';
import { loadConfig } from '../lib/kernel/config.js';
import { createLogger } from '../lib/kernel/logger.js';
import { createTokenService } from '../lib/kernel/tokens.js';
import { subgraphUrlsFrom, warnWithoutRedis } from '../lib/service/service-runtime.js';
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
  const server = await startHttpServer(gateway.handler, { port: config.ports.gateway, host: config.host });
  const websockets = gateway.serveWebSockets(server.server);
  logger.info(`gateway ready at ${server.origin}/graphql`);
  // Reads the supergraph again (a file watched anyway, or SUPERGRAPH_URL before its next poll).
  process.on('SIGHUP', () => void gateway.reloadSupergraph());
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
