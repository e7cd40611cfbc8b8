/** The messages subgraph as its own process (deployments with several instances): `npm run start:messages`. */
import { runSubgraphProcess } from '../../lib/service/service-runtime.js';
import { createMessagesSubgraph } from './server.js';

runSubgraphProcess({ name: 'messages', port: (config) => config.ports.messages, create: createMessagesSubgraph });
