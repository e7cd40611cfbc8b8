import { readdirSync, readFileSync } from 'node:fs';
import {
  type DefinitionNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  visit,
} from 'graphql';

const OPERATIONS_DIR = new URL('../../../clients/operations/', import.meta.url);

/** One operation of clients/operations: its kind, and a document of it with the fragments it uses. */
export interface ClientOperation {
  readonly name: string;
  readonly kind: OperationDefinitionNode['operation'];
  readonly document: string;
}

/** Every named operation in clients/operations/<area>/*.graphql, by name. */
export function loadClientOperations(): ReadonlyMap<string, ClientOperation> {
  const definitions: DefinitionNode[] = readdirSync(OPERATIONS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.graphql'))
    .flatMap((file) => parse(readFileSync(new URL(file, OPERATIONS_DIR), 'utf8')).definitions);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const operations = new Map<string, ClientOperation>();
  for (const definition of definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION || definition.name === undefined) continue;
    const used = new Map<string, FragmentDefinitionNode>();
    const collect = (node: DefinitionNode) =>
      visit(node, {
        FragmentSpread(spread) {
          const fragment = fragments.get(spread.name.value);
          if (fragment === undefined || used.has(fragment.name.value)) return;
          used.set(fragment.name.value, fragment);
          collect(fragment);
        },
      });
    collect(definition);
    operations.set(definition.name.value, {
      name: definition.name.value,
      kind: definition.operation,
      document: [definition, ...used.values()].map((node) => print(node)).join('\n\n'),
    });
  }
  return operations;
}
