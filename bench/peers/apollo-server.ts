/**
 * A peer for the gateway comparison of `npm run bench`: the stock Apollo setup, Apollo Server
 * (standalone, its own HTTP server) with @apollo/gateway executing the same supergraph over the
 * same subgraph processes. Defaults everywhere: no response cache, no usage reporting (no
 * APOLLO_KEY), landing page and introspection as NODE_ENV=production sets them.
 *
 * PEER_PORT: the port; PEER_SUPERGRAPH: the supergraph file with the benchmark's subgraph URLs.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const port = Number(process.env.PEER_PORT);
const supergraphFile = process.env.PEER_SUPERGRAPH;
if (!Number.isInteger(port) || supergraphFile === undefined) throw new Error('PEER_PORT and PEER_SUPERGRAPH must be set');

const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphFile, 'utf8') });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
console.log(`apollo-server peer ready at ${url}`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
