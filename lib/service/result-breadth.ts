import type { Plugin } from '@envelop/core';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../kernel/pagination.js';

/**
 * Objects one operation may ask for at most, counting each page at the size it asks
 * (`first`, `limit`, or the argument's default). Nested pages multiply: graphql-armor's cost
 * multiplies literal `first`s only, so `followers(first: $n) { nodes { followers(first: $n) … } }`
 * five levels deep with n = 100 passes it while asking for 10^10 users of a dense graph.
 */
export const MAX_RESULT_BREADTH = 50_000;

/** Arguments that size a list. */
const SIZE_ARGUMENTS = ['first', 'limit'];

/**
 * The most objects `document`'s operation can return: every field that selects an object
 * counts the product of the page sizes down to it (a field with no size argument counts as one
 * object). Fragments are expanded.
 */
export function resultBreadth(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): number {
  const operation = getOperationAST(document, operationName);
  if (operation === null || operation === undefined) return 0;
  const root = schema.getRootType(operation.operation);
  if (root === undefined || root === null) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

  const sizeOf = (value: ValueNode | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (value.kind === Kind.INT) return Number(value.value);
    if (value.kind === Kind.VARIABLE) {
      const given = variables?.[value.name.value];
      return typeof given === 'number' && Number.isFinite(given) ? given : fallback;
    }
    return fallback;
  };

  const walk = (type: GraphQLNamedType, selections: SelectionSetNode, multiplier: number, spread: Set<string>): number => {
    let total = 0;
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!isObjectType(type) && !isInterfaceType(type)) continue;
        const field = type.getFields()[selection.name.value];
        if (field === undefined) continue;
        let size = 1;
        for (const name of SIZE_ARGUMENTS) {
          const argument = field.args.find((arg) => arg.name === name);
          if (argument === undefined) continue;
          const fallback = typeof argument.defaultValue === 'number' ? argument.defaultValue : DEFAULT_PAGE_SIZE;
          const node = selection.arguments?.find((arg) => arg.name.value === name)?.value;
          size = Math.max(0, Math.min(sizeOf(node, fallback), MAX_PAGE_SIZE));
        }
        // Objects count, scalars are the objects' own fields.
        if (selection.selectionSet !== undefined) {
          const here = multiplier * size;
          total += here + walk(getNamedType(field.type), selection.selectionSet, here, spread);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition === undefined ? type : schema.getType(selection.typeCondition.name.value);
        if (condition !== undefined) total += walk(condition, selection.selectionSet, multiplier, spread);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment spread inside itself is a validation error; never loop on it here.
        if (fragment === undefined || spread.has(name)) continue;
        const condition = schema.getType(fragment.typeCondition.name.value);
        if (condition !== undefined) total += walk(condition, fragment.selectionSet, multiplier, new Set([...spread, name]));
      }
      if (total > MAX_RESULT_BREADTH * 1000) return total; // far enough over: stop counting
    }
    return total;
  };
  return walk(root, operation.selectionSet, 1, new Set());
}

/**
 * Envelop plugin: refuses, before execution, an operation whose result could hold more than
 * `maxBreadth` objects (resultBreadth), with OPERATION_TOO_COMPLEX. Runs at execute time
 * because page sizes often come in variables.
 */
export function useResultBreadthLimit(maxBreadth = MAX_RESULT_BREADTH): Plugin {
  const refuse = (breadth: number) =>
    new GraphQLError(`Operation may return ${breadth} objects; the limit is ${maxBreadth}. Ask for smaller pages.`, {
      extensions: { code: 'OPERATION_TOO_COMPLEX' },
    });
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const breadth = resultBreadth(args.schema, args.document, args.operationName, args.variableValues);
      if (breadth > maxBreadth) setResultAndStopExecution({ errors: [refuse(breadth)] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const breadth = resultBreadth(args.schema, args.document, args.operationName, args.variableValues);
      if (breadth > maxBreadth) setResultAndStopExecution({ errors: [refuse(breadth)] });
    },
  };
}
