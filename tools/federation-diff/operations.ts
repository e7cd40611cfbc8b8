import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type DefinitionNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  visit,
} from 'graphql';

/** One operation of a directory of `.graphql` files: a document of it alone, with the fragments it uses. */
export interface LoadedOperation {
  /** Its name; an anonymous operation, alone in its file, is named after the file. */
  readonly name: string;
  /** Sent as `operationName`; undefined for an anonymous operation. */
  readonly operationName: string | undefined;
  readonly kind: OperationDefinitionNode['operation'];
  readonly document: string;
  /** Its file, relative to the directory. */
  readonly file: string;
}

/** A directory of operations that cannot be loaded as given: the message names the file. */
export class OperationsError extends Error {
  override readonly name = 'OperationsError';
}

/**
 * Every operation in `dir`'s `.graphql` files (subdirectories too), files in path order, each
 * file's operations in their order. Fragments may live in any file of the directory.
 */
export function loadOperations(dir: string): LoadedOperation[] {
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.graphql'))
      .sort();
  } catch (error) {
    throw new OperationsError(`cannot read the operations directory ${dir}: ${(error as Error).message}`);
  }
  const parsed = files.map((file) => ({ file, definitions: parseFile(dir, file) }));
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const { file, definitions } of parsed) {
    for (const definition of definitions) {
      if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
      if (fragments.has(definition.name.value)) throw new OperationsError(`${file}: a second fragment ${definition.name.value}`);
      fragments.set(definition.name.value, definition);
    }
  }
  const operations: LoadedOperation[] = [];
  const names = new Set<string>();
  for (const { file, definitions } of parsed) {
    const inFile = definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    for (const definition of inFile) {
      if (definition.name === undefined && inFile.length > 1) {
        throw new OperationsError(`${file}: an anonymous operation must be the only one in its file`);
      }
      const name = definition.name?.value ?? basename(file, '.graphql');
      if (names.has(name)) throw new OperationsError(`${file}: a second operation named ${name}`);
      names.add(name);
      operations.push({
        name,
        operationName: definition.name?.value,
        kind: definition.operation,
        document: [definition, ...fragmentsUsedBy(definition, fragments)].map((node) => print(node)).join('\n\n'),
        file,
      });
    }
  }
  return operations;
}

function parseFile(dir: string, file: string): readonly DefinitionNode[] {
  try {
    return parse(readFileSync(join(dir, file), 'utf8')).definitions;
  } catch (error) {
    if (error instanceof GraphQLError) throw new OperationsError(`${file}: ${error.message}`);
    throw error;
  }
}

/** The fragments `definition` spreads, and those they spread, each once; unknown ones are left to the gateways to refuse. */
function fragmentsUsedBy(
  definition: DefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
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
  return [...used.values()];
}
