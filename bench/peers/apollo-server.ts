/**
 * A peer for the gateway comparison of `npm run bench`: the stock Apollo setup, Apollo Server
 * (standalone, its own HTTP server) with @apollo/gateway executing the same supergraph over the
 * same subgraph processes. Defaults everywhere: no response cache, no usage reporting (no
 * APOLLO_KEY), landing page and introspection as NODE_ENV=production sets them; the one addition
 * is the subgraph request signature (below).
 *
 * Its packages resolve from bench/peers/node_modules (this file's own package, bench/peers/package.json):
 * Apollo Server and @apollo/gateway share that package's one graphql, never the platform's.
 *
 * PEER_PORT: the port; PEER_SUPERGRAPH: the supergraph file with the benchmark's subgraph URLs;
 * PEER_SUBGRAPH_SIGNING_SECRET: the SUBGRAPH_SIGNING_SECRET the bench gives the subgraphs.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { SIGNATURE_HEADER, signContent } from '../../lib/kernel/request-signature.js';

const port = Number(process.env.PEER_PORT);
const supergraphFile = process.env.PEER_SUPERGRAPH;
const secret = process.env.PEER_SUBGRAPH_SIGNING_SECRET;
if (!Number.isInteger(port) || supergraphFile === undefined || !secret)
  throw new Error('PEER_PORT, PEER_SUPERGRAPH and PEER_SUBGRAPH_SIGNING_SECRET must be set');

/**
 * Signs each subgraph request the way our gateway does (lib/kernel/request-signature.ts): the subgraphs
 * answer only signed requests. One HMAC per subgraph fetch is what any deployment of Apollo in
 * front of these subgraphs would add, so the comparison stays fair. The signed string is the
 * body RemoteGraphQLDataSource sends (APQ off, its default): `JSON.stringify` of
 * `{ query, ...rest }` without `http` (its process() and sendRequest()); a drift would show as
 * 401s, which the bench's peer check refuses.
 */
class SigningDataSource extends RemoteGraphQLDataSource {
  override willSendRequest({ request }: GraphQLDataSourceProcessOptions): void {
    const { http, query, ...rest } = request;
    http?.headers.set(SIGNATURE_HEADER, signContent(secret as string, JSON.stringify({ query, ...rest })));
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphFile, 'utf8'),
  buildService: ({ url }) => new SigningDataSource({ url }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
console.log(`apollo-server peer ready at ${url}`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
