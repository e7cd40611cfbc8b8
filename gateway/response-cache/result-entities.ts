import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';

/** The field whose value names an entity, as the touched entities of mutations name it. */
const ID_FIELD = 'id';

/**
 * An object a response holds, as the cache indexes it: `{ typename: 'Post', id: '1' }`; a type
 * with an `id` field whose id the response does not show is `unidentified` (every write to
 * one of its type must drop the response); a type with no `id` field has neither.
 */
export interface ResultEntity {
  readonly typename: string;
  readonly id?: string;
  readonly unidentified?: true;
}

/**
 * The entities in `data`, read off the client's own document. The cache used to add
 * `__typename` and `id` to every selection set to learn them, but over a supergraph an added
 * field is not free: the query planner fetches it, which adds fetches that can fail (an
 * `@interfaceObject` asks another subgraph for `__typename`), picks other paths (a `@shareable`
 * field whose subgraph cannot give the id), or nulls a parent (a non-null `id` of an entity
 * that came back null). The cache may change latency, never an answer, so it reads only what
 * the client asked for: an object of an abstract type whose `__typename` the client did not
 * select counts as each of its possible types, and an id the client did not select leaves the
 * entity unidentified.
 */
export function entitiesInResult(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  data: Record<string, unknown> | null | undefined,
): ResultEntity[] {
  const operation = getOperationAST(document, operationName);
  const root = operation === null || operation === undefined ? undefined : schema.getRootType(operation.operation);
  if (operation === null || operation === undefined || root === undefined || root === null || data == null) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const found = new Map<string, ResultEntity>();
  // Every item of a list has the same selections: collect them once per type for all items.
  const collected = new WeakMap<readonly SelectionSetNode[], Map<GraphQLObjectType, Map<string, FieldNode[]>>>();
  const childSelections = new WeakMap<readonly FieldNode[], readonly SelectionSetNode[]>();
  const fieldsOf = (type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[]) => {
    let byType = collected.get(selectionSets);
    if (byType === undefined) {
      byType = new Map();
      collected.set(selectionSets, byType);
    }
    let fields = byType.get(type);
    if (fields === undefined) {
      fields = collectFields(schema, type, selectionSets, fragments);
      byType.set(type, fields);
    }
    return fields;
  };
  const selectionsBelow = (nodes: readonly FieldNode[]) => {
    let selections = childSelections.get(nodes);
    if (selections === undefined) {
      selections = nodes.flatMap((node) => (node.selectionSet === undefined ? [] : [node.selectionSet]));
      childSelections.set(nodes, selections);
    }
    return selections;
  };

  const visit = (
    type: GraphQLCompositeType,
    selectionSets: readonly SelectionSetNode[],
    value: unknown,
    isRoot = false,
  ): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(type, selectionSets, item);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const object = value as Record<string, unknown>;
    for (const candidate of runtimeTypes(type, selectionSets, object)) {
      const fields = fieldsOf(candidate, selectionSets);
      // The root object is no entity: no write touches `Query`.
      if (!isRoot) note(found, candidate, fields, object);
      const definitions = candidate.getFields();
      for (const [key, nodes] of fields) {
        const definition = definitions[(nodes[0] as FieldNode).name.value];
        const child = object[key];
        if (definition === undefined || child === undefined || child === null) continue;
        const named = getNamedType(definition.type);
        if (!isCompositeType(named)) continue;
        visit(named, selectionsBelow(nodes), child);
      }
    }
  };

  /** Its type when the client selected `__typename` on it, else every type it can be. */
  const runtimeTypes = (
    type: GraphQLCompositeType,
    selectionSets: readonly SelectionSetNode[],
    object: Record<string, unknown>,
  ): readonly GraphQLObjectType[] => {
    if (isObjectType(type)) return [type];
    const possible = isAbstractType(type) ? schema.getPossibleTypes(type) : [];
    const named = possible.find((candidate) =>
      [...fieldsOf(candidate, selectionSets)].some(
        ([key, nodes]) => (nodes[0] as FieldNode).name.value === '__typename' && object[key] === candidate.name,
      ),
    );
    return named === undefined ? possible : [named];
  };

  visit(root, [operation.selectionSet], data, true);
  return [...found.values()];
}

/** Records the entity `object` is, as `type`, once per index key. */
function note(
  found: Map<string, ResultEntity>,
  type: GraphQLObjectType,
  fields: ReadonlyMap<string, readonly FieldNode[]>,
  object: Record<string, unknown>,
): void {
  if (type.getFields()[ID_FIELD] === undefined) {
    found.set(type.name, { typename: type.name });
    return;
  }
  for (const [key, nodes] of fields) {
    if ((nodes[0] as FieldNode).name.value !== ID_FIELD) continue;
    const id = object[key];
    if (typeof id === 'string' || typeof id === 'number') {
      found.set(`${type.name}:${id}`, { typename: type.name, id: String(id) });
      return;
    }
  }
  found.set(`${type.name}:*`, { typename: type.name, unidentified: true });
}

/**
 * The fields of `selectionSets` that apply to an object of `type`, by response key: what
 * graphql-js's collectFields does, without @skip/@include (a skipped field is simply absent
 * from the data it is read against).
 */
function collectFields(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const seenFragments = new Set<string>();
  const applies = (condition: string | undefined): boolean => {
    if (condition === undefined || condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return conditionType !== undefined && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };
  const collect = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const existing = fields.get(key);
        if (existing === undefined) fields.set(key, [selection]);
        else existing.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value)) collect(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment === undefined || seenFragments.has(name)) continue;
        seenFragments.add(name);
        if (applies(fragment.typeCondition.name.value)) collect(fragment.selectionSet);
      }
    }
  };
  for (const selectionSet of selectionSets) collect(selectionSet);
  return fields;
}
