import {
  type ArgumentNode,
  type FieldNode,
  Kind,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  type OperationDefinitionNode,
  parse,
  print,
  type ValueNode,
  visit,
} from 'graphql';
import { hasTag } from '../lib/kernel/schema-tags.js';

/**
 * The tag a subgraph puts on the argument of a subscription field that resumes its stream:
 * given the `id` of the last event received, the field replays what came after it, then goes
 * live (`messageAdded(after:)`). A federation `@tag`, so it reaches the gateway in the
 * supergraph without being part of the public schema.
 */
export const RESUME_AFTER_TAG = 'resume-after';

/** The variable the gateway sets to the resume position in an upstream operation. */
export const RESUME_VARIABLE = '__resumeAfter';
/** The alias under which the gateway selects each event's position (its `id`). */
export const RESUME_CURSOR_ALIAS = '__resumeCursor';

/** `Subscription.<field>` → the name of its argument tagged resume-after, for every such field of a supergraph. */
export function resumableFieldsOf(sdl: string): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  for (const definition of parse(sdl).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
    if (type.name.value !== 'Subscription') continue;
    for (const field of type.fields ?? []) {
      const argument = field.arguments?.find((candidate) => hasTag(candidate, RESUME_AFTER_TAG));
      if (argument !== undefined) fields.set(field.name.value, argument.name.value);
    }
  }
  return fields;
}

/** An upstream subscription operation the gateway can resume after a lost connection. */
export interface ResumableOperation {
  /** The operation, with the resume argument set from RESUME_VARIABLE and each event's `id` selected as RESUME_CURSOR_ALIAS. */
  readonly query: string;
  /** The variables it declares (the primary fetch's, less one only the resume argument used, plus RESUME_VARIABLE). */
  readonly variableNames: readonly string[];
  /** The response key of its root field, where each event's cursor is read. */
  readonly responseName: string;
  /** Where the client's own resume position comes from: a variable of the operation, or a literal. */
  readonly initialFrom: { readonly variable: string } | { readonly literal: string | null };
}

/**
 * Rewrites the primary fetch of a subscription (the planner's operation to the subgraph that
 * owns the field) so the gateway can resubscribe from the last event it received: the root
 * field's resume argument becomes `$__resumeAfter`, and `id` is selected under an alias the
 * client never sees (Apollo's result shaping keeps only the client's selection). Null when the
 * root field takes no resume argument (`resumable`, from resumableFieldsOf).
 */
export function resumableOperation(primaryOperation: string, resumable: ReadonlyMap<string, string>): ResumableOperation | null {
  const document = parse(primaryOperation);
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operation === undefined || operation.operation !== 'subscription') return null;
  const root = operation.selectionSet.selections.find((selection): selection is FieldNode => selection.kind === Kind.FIELD);
  if (root === undefined) return null;
  const argumentName = resumable.get(root.name.value);
  if (argumentName === undefined) return null;

  const given = root.arguments?.find((argument) => argument.name.value === argumentName);
  const initialFrom = initialPosition(given?.value);
  if (initialFrom === undefined) return null;
  const resumeArgument: ArgumentNode = {
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: argumentName },
    value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: RESUME_VARIABLE } },
  };
  const cursorSelection: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: RESUME_CURSOR_ALIAS },
    name: { kind: Kind.NAME, value: 'id' },
  };
  const rewrittenRoot: FieldNode = {
    ...root,
    arguments: [...(root.arguments ?? []).filter((argument) => argument !== given), resumeArgument],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [...(root.selectionSet?.selections ?? []), cursorSelection],
    },
  };
  const withRoot: OperationDefinitionNode = {
    ...operation,
    selectionSet: {
      ...operation.selectionSet,
      selections: operation.selectionSet.selections.map((selection) => (selection === root ? rewrittenRoot : selection)),
    },
  };
  // A variable only the resume argument used would now be unused, which validation refuses.
  const used = variablesUsedIn(withRoot);
  const definitions = (operation.variableDefinitions ?? []).filter((definition) => used.has(definition.variable.name.value));
  const rewritten: OperationDefinitionNode = {
    ...withRoot,
    variableDefinitions: [
      ...definitions,
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: RESUME_VARIABLE } },
        type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } },
      },
    ],
  };
  return {
    query: print({ ...document, definitions: [rewritten] }),
    variableNames: [...definitions.map((definition) => definition.variable.name.value), RESUME_VARIABLE],
    responseName: root.alias?.value ?? root.name.value,
    initialFrom,
  };
}

/** The position the client asked to start from, as the argument gives it; undefined when it is not an ID the gateway can pass on. */
function initialPosition(value: ValueNode | undefined): ResumableOperation['initialFrom'] | undefined {
  if (value === undefined || value.kind === Kind.NULL) return { literal: null };
  if (value.kind === Kind.VARIABLE) return { variable: value.name.value };
  if (value.kind === Kind.STRING || value.kind === Kind.INT) return { literal: value.value };
  return undefined;
}

function variablesUsedIn(operation: OperationDefinitionNode): Set<string> {
  const used = new Set<string>();
  visit(operation.selectionSet, {
    Variable(node) {
      used.add(node.name.value);
    },
  });
  return used;
}

/** The client's own start position for `operation`, given the primary fetch's variables. */
export function initialResumePosition(operation: ResumableOperation, variables: Record<string, unknown>): string | null {
  const from = operation.initialFrom;
  if ('literal' in from) return from.literal;
  const value = variables[from.variable];
  return typeof value === 'string' ? value : null;
}

/** The position of one upstream event (its `id` under RESUME_CURSOR_ALIAS), if it carries one. */
export function resumePositionOf(
  operation: ResumableOperation,
  event: { readonly data?: Record<string, unknown> | null },
): string | undefined {
  const root = event.data?.[operation.responseName] as Record<string, unknown> | null | undefined;
  const cursor = root?.[RESUME_CURSOR_ALIAS];
  return typeof cursor === 'string' ? cursor : undefined;
}
