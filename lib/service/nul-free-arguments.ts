import { type DocumentNode, Kind, type ValueNode, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { BadUserInputError } from '../kernel/errors.js';

/**
 * PostgreSQL text cannot hold U+0000: a NUL in any argument would fail its statement with
 * 22021 (an INTERNAL_SERVER_ERROR, and the failure of every write batched with it). GraphQL's
 * String accepts it, so every argument of an operation is checked before it executes: literals
 * and variables, at any depth of lists and input objects.
 */
export function findNulArgument(
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): string | undefined {
  let found: string | undefined;
  visit(document, {
    Argument(node) {
      if (found !== undefined) return false;
      found = inLiteral(node.value, [node.name.value], variables ?? {});
      return false;
    },
  });
  return found;
}

/** The `field` a client's form points at: within an input object, its field (`username`), as parseInput names it. */
function fieldName(path: (string | number)[]): string {
  const named = path.length > 1 && typeof path[1] === 'string' ? path.slice(1) : path;
  // A value nested thousands deep is named by where it starts, not by a path of that length.
  return named.length > MAX_PATH_SHOWN ? `${named.slice(0, MAX_PATH_SHOWN).join('.')}…` : named.join('.');
}

const MAX_PATH_SHOWN = 8;

function inLiteral(node: ValueNode, path: (string | number)[], variables: Readonly<Record<string, unknown>>): string | undefined {
  switch (node.kind) {
    case Kind.STRING:
      return node.value.includes('\u0000') ? fieldName(path) : undefined;
    case Kind.VARIABLE:
      return inValue(variables[node.name.value], path);
    case Kind.LIST:
      for (const [index, item] of node.values.entries()) {
        const found = inLiteral(item, [...path, index], variables);
        if (found !== undefined) return found;
      }
      return undefined;
    case Kind.OBJECT:
      for (const field of node.fields) {
        const found = inLiteral(field.value, [...path, field.name.value], variables);
        if (found !== undefined) return found;
      }
      return undefined;
    default:
      return undefined;
  }
}

interface Visit {
  readonly value: unknown;
  readonly key: string | number;
  readonly parent: Visit | undefined;
}

/**
 * Walks a variable's value without recursion, and keeps each item's path as a link to its
 * parent: JSON variables may nest hundreds of thousands of levels within the body limit.
 */
function inValue(root: unknown, rootPath: (string | number)[]): string | undefined {
  const pending: Visit[] = [{ value: root, key: '', parent: undefined }];
  for (let visit = pending.pop(); visit !== undefined; visit = pending.pop()) {
    const { value } = visit;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return fieldName([...rootPath, ...pathOf(visit)]);
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index -= 1) pending.push({ value: value[index], key: index, parent: visit });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value).reverse()) pending.push({ value: item, key, parent: visit });
    }
  }
  return undefined;
}

function pathOf(visit: Visit): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.parent !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}

/** The error an operation with a NUL in `field` is answered with. */
export function nulArgumentError(field: string): BadUserInputError {
  return new BadUserInputError(`${field}: must not contain the NUL character (U+0000).`, field);
}

/** Answers an operation whose arguments hold a NUL with BAD_USER_INPUT before it runs (HTTP and WebSocket). */
export function useNulFreeArguments(): Plugin {
  const refuse = ({
    args,
    setResultAndStopExecution,
  }: {
    args: { document: DocumentNode; variableValues?: Readonly<Record<string, unknown>> | null | undefined };
    setResultAndStopExecution(result: { errors: BadUserInputError[] }): void;
  }) => {
    const field = findNulArgument(args.document, args.variableValues);
    if (field !== undefined) setResultAndStopExecution({ errors: [nulArgumentError(field)] });
  };
  return { onExecute: refuse, onSubscribe: refuse };
}
