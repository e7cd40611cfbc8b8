/** The users subgraph as its own process (deployments with several instances): `npm run start:users`. */
import { loadConfig } from '../../lib/config.js';
import { startHttpServer } from '../../lib/http-server.js';
import { createLogger } from '../../lib/logger.js';
import { openStandaloneResources } from '../../lib/service-runtime.js';
import { exitOnStartupError, onShutdownSignal } from '../../lib/shutdown.js';
import { createTokenService } from '../../lib/tokens.js';
import { createUsersSubgraph } from './server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'users' });
  const { database, store } = await openStandaloneResources(config, logger, { database: true });
  if (database === undefined) throw new Error('unreachable: database requested');
  const users = await createUsersSubgraph({ database, store, tokens: createTokenService(config.auth), logger });
  const server = await startHttpServer(users.yoga, { port: config.ports.users, host: config.host });
  logger.info(`users subgraph ready at ${server.origin}/graphql`);
  onShutdownSignal(logger, async () => {
    await server.close();
    await store.close();
    await database.close();
  });
}

main().catch(exitOnStartupError);
