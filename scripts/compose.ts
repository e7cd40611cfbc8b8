/**
 * Composes supergraph.graphql from supergraph.yaml with @apollo/composition (what rover does),
 * so no binary download is needed. Exits non-zero with every composition error listed.
 * `--check` compares with the committed file instead of writing it (used by CI).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { parse as parseYaml } from 'yaml';

interface SupergraphConfig {
  federation_version?: string;
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const config = parseYaml(readFileSync(resolve(root, 'supergraph.yaml'), 'utf8')) as SupergraphConfig;
const services = Object.entries(config.subgraphs).map(([name, subgraph]) => ({
  name,
  url: subgraph.routing_url,
  typeDefs: parse(readFileSync(resolve(root, subgraph.schema.file), 'utf8')),
}));

const result = composeServices(services);
if (result.errors !== undefined && result.errors.length > 0) {
  console.error(`Composition failed with ${result.errors.length} error(s):`);
  for (const error of result.errors) console.error(`  - ${error.message}`);
  process.exit(1);
}
const output = `${(result.supergraphSdl ?? '').trim()}\n`;
const target = resolve(root, 'supergraph.graphql');
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== output) {
    console.error('supergraph.graphql is stale: run `npm run compose` and commit the result.');
    process.exit(1);
  }
  console.log('supergraph.graphql is up to date.');
} else {
  writeFileSync(target, output);
  console.log(`Wrote supergraph.graphql (${services.map((s) => s.name).join(', ')}).`);
}
for (const hint of result.hints ?? []) console.warn(`hint: ${hint.toString()}`);
