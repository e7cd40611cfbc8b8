import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from './logger.js';
import type { TokenService, Viewer } from './tokens.js';
import { commonYogaOptions } from './yoga-options.js';

export type SubgraphYoga = YogaServerInstance<object, object>;

/**
 * The HTTP face every subgraph shares: its federation schema from schema.graphql, the viewer
 * taken from the bearer token the gateway forwards (verified here again, so a forged header
 * from outside is worthless), one typed context per request, masked errors, /healthz, /readyz.
 */
export function createSubgraphYoga<C extends object>(options: {
  name: string;
  schemaFile: URL;
  resolvers: unknown;
  tokens: TokenService;
  logger: Logger;
  isReady: () => Promise<boolean>;
  createContext: (viewer: Viewer | null) => C;
}): SubgraphYoga {
  const typeDefs = parse(readFileSync(options.schemaFile, 'utf8'));
  const schema = buildSubgraphSchema({ typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  const common = commonYogaOptions({ logger: options.logger, isReady: options.isReady });
  return createYoga<object, object>({
    ...common,
    schema,
    graphiql: false,
    landingPage: false,
    context: async ({ request }: { request: Request }) =>
      options.createContext(await options.tokens.viewerFromHeader(request.headers.get('authorization'))),
  });
}
