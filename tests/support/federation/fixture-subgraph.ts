import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';

/** One subgraph of a fixture supergraph: its SDL and resolvers, served by Yoga as any subgraph would be. */
export interface FixtureSubgraph {
  /** Its name in the supergraph (`@join__graph(name:)`). */
  readonly name: string;
  readonly typeDefs: string;
  // biome-ignore lint/suspicious/noExplicitAny: fixture resolvers receive whatever their subgraph returns
  readonly resolvers: GraphQLResolverMap<any>;
  /** A subgraph that is down: in the supergraph, but nothing listens at its URL. */
  readonly down?: boolean;
}

export interface RunningSubgraph {
  readonly name: string;
  readonly url: string;
  stop(): Promise<void>;
}

/** Serves `subgraph` on a free port; a `down` one gets the address of a port that was just closed. */
export async function startFixtureSubgraph(subgraph: FixtureSubgraph): Promise<RunningSubgraph> {
  if (subgraph.down === true) {
    // Connection refused: the port was free a moment ago and nothing listens on it now.
    const server = await listen(createServer());
    const url = urlOf(server);
    await close(server);
    return { name: subgraph.name, url, stop: async () => undefined };
  }
  const schema = buildSubgraphSchema({ typeDefs: parse(subgraph.typeDefs), resolvers: subgraph.resolvers });
  const yoga = createYoga({ schema, logging: false, graphqlEndpoint: '/graphql', landingPage: false });
  const server = await listen(createServer(yoga));
  return { name: subgraph.name, url: urlOf(server), stop: () => close(server) };
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}
