/** The users subgraph as its own process (deployments with several instances): `npm run start:users`. */
import { runSubgraphProcess } from '../../lib/service/service-runtime.js';
import { createUsersSubgraph } from './server.js';

runSubgraphProcess({ name: 'users', port: (config) => config.ports.users, create: createUsersSubgraph });
