import {
  type ArgumentNode,
  buildASTSchema,
  type ConstDirectiveNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  Kind,
  parse,
  print,
  type SelectionSetNode,
} from 'graphql';

/** Under each response key, the selections the planner adds there, each as `formOf` prints it. */
export type AddedFields = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * What the query planner adds to the selections of a type, read off a supergraph: each entity's
 * key fields (`@join__type(key:)`) and each `@requires` selection (`@join__field(requires:)`),
 * nested fields on their own types. The planner merges an added field into a client's selection
 * of the same response key even where the two differ (another field, other arguments), which is
 * what gateway/federation/requires-aliases.ts works around.
 */
export interface PlannerAddedFields {
  /** The supergraph as a graphql-js schema: the API schema's types are among its own. */
  readonly schema: GraphQLSchema;
  /** Every field name of the supergraph: a generated alias must be none of them. */
  readonly fieldNames: ReadonlySet<string>;
  /** What the planner may add to a selection on `type`; for an interface or a union, on any of its possible types. */
  on(type: GraphQLCompositeType): AddedFields | undefined;
}

/** The fields the planner adds, per type, in the supergraph `supergraphSdl`. */
export function plannerAddedFieldsOf(supergraphSdl: string): PlannerAddedFields {
  // Composition always names the join spec's directives `join__*`, as the gateway reads them.
  const schema = buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true });
  const added = new Map<string, Map<string, Set<string>>>();
  const fieldNames = new Set<string>();
  const add = (type: GraphQLCompositeType, field: FieldNode) => {
    let fields = added.get(type.name);
    if (fields === undefined) {
      fields = new Map();
      added.set(type.name, fields);
    }
    const key = field.name.value;
    fields.set(key, (fields.get(key) ?? new Set()).add(formOf(field)));
  };
  const addFieldSet = (type: GraphQLCompositeType, fieldSet: string) => {
    addSelections(schema, type, parseFieldSet(fieldSet), add);
  };

  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const key of stringArguments(type.astNode?.directives, 'join__type', 'key')) addFieldSet(type, key);
    for (const field of Object.values(type.getFields())) {
      fieldNames.add(field.name);
      for (const requires of stringArguments(field.astNode?.directives, 'join__field', 'requires')) addFieldSet(type, requires);
    }
  }

  const onAbstract = new Map<string, AddedFields | undefined>();
  return {
    schema,
    fieldNames,
    on(type) {
      if (!isAbstractType(type)) return added.get(type.name);
      if (!onAbstract.has(type.name)) {
        const merged = new Map<string, Set<string>>();
        for (const member of [type, ...schema.getPossibleTypes(type)]) {
          for (const [key, forms] of added.get(member.name) ?? [])
            merged.set(key, new Set([...(merged.get(key) ?? []), ...forms]));
        }
        onAbstract.set(type.name, merged.size === 0 ? undefined : merged);
      }
      return onAbstract.get(type.name);
    },
  };
}

/**
 * A field as the planner sees it when it merges: its name and its arguments, sorted, printed;
 * `price(currency: "USD")` is `price(currency:"USD")`.
 */
export function formOf(field: FieldNode): string {
  const args = field.arguments ?? [];
  if (args.length === 0) return field.name.value;
  const printed = [...args]
    .sort((a: ArgumentNode, b: ArgumentNode) => a.name.value.localeCompare(b.name.value))
    .map((arg) => `${arg.name.value}:${print(arg.value)}`);
  return `${field.name.value}(${printed.join(',')})`;
}

function parseFieldSet(fieldSet: string): SelectionSetNode {
  const [operation] = parse(`{${fieldSet}}`, { noLocation: true }).definitions;
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error(`Not a field set: ${fieldSet}`);
  return operation.selectionSet;
}

function addSelections(
  schema: GraphQLSchema,
  type: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  add: (type: GraphQLCompositeType, field: FieldNode) => void,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      add(type, selection);
      if (selection.selectionSet === undefined || isUnionType(type)) continue;
      const field = type.getFields()[selection.name.value];
      const returned = field === undefined ? undefined : getNamedType(field.type);
      if (isCompositeType(returned)) addSelections(schema, returned, selection.selectionSet, add);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition = selection.typeCondition === undefined ? type : schema.getType(selection.typeCondition.name.value);
      if (isCompositeType(condition)) addSelections(schema, condition, selection.selectionSet, add);
    }
    // A field set has no named fragments.
  }
}

/** The string values of `argument` in each `directive` among `directives`. */
function stringArguments(directives: readonly ConstDirectiveNode[] | undefined, directive: string, argument: string): string[] {
  const values: string[] = [];
  for (const applied of directives ?? []) {
    if (applied.name.value !== directive) continue;
    const value = applied.arguments?.find((arg) => arg.name.value === argument)?.value;
    if (value?.kind === Kind.STRING) values.push(value.value);
  }
  return values;
}
