import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/**
 * The supergraph SDL of `subgraphs` at their URLs, composed as `rover supergraph compose` would.
 * A fixture that does not compose is a broken fixture: the hints name what is wrong.
 */
export function composeSupergraph(subgraphs: readonly { name: string; typeDefs: string; url: string }[]): string {
  const result = composeServices(subgraphs.map(({ name, typeDefs, url }) => ({ name, url, typeDefs: parse(typeDefs) })));
  if (result.errors !== undefined) {
    throw new Error(`fixture supergraph does not compose:\n${result.errors.map((error) => error.message).join('\n')}`);
  }
  return result.supergraphSdl;
}
