/** The posts subgraph as its own process (deployments with several instances): `npm run start:posts`. */
import { runSubgraphProcess } from '../../lib/service/service-runtime.js';
import { createPostsSubgraph } from './server.js';

runSubgraphProcess({ name: 'posts', port: (config) => config.ports.posts, create: createPostsSubgraph });
