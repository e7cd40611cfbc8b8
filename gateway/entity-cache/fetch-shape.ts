import {
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
  visit,
} from 'graphql';

/** Response names the entity cache adds to a fetch it rewrites start so; they never leave it. */
export const ADDED_PREFIX = '_ec_';
/** The alias of the `__typename` added where viewer-dependent fields were taken out. */
export const TYPENAME_ALIAS = `${ADDED_PREFIX}t`;
/** The alias of key field `field` added there. */
export function keyAlias(field: string): string {
  return `${ADDED_PREFIX}k_${field}`;
}

/**
 * Viewer-dependent fields taken out of a cached fetch: asked for every request, by key, from
 * the same subgraph (an `_entities` fetch with only them), and written back into the objects
 * they were taken from.
 */
export interface ViewerRemainder {
  /** Response names from the fetch's data (root fetch) or from each entity (entity fetch) to the objects they belong to. */
  readonly path: readonly string[];
  /** The entity type those objects are; objects of other types at `path` are left alone. */
  readonly typename: string;
  /**
   * True for the fields of an entity fetch's entity itself (path []): its representation is
   * sent as it came, @requires fields included. Otherwise the objects carry their key under
   * `keyAlias(field)` and their type under TYPENAME_ALIAS.
   */
  readonly byRepresentation: boolean;
  /** Key fields of `typename` in the subgraph (`id`). */
  readonly keyFields: readonly string[];
  /** The response names of the fields taken out. */
  readonly responseNames: readonly string[];
}

/** A fetch the entity cache stores: a root query, or one entry per representation of `_entities`. */
export interface CachedFetchShape {
  readonly kind: 'root' | 'entities';
  /** The fetch without its viewer-dependent fields: what is sent on a miss and what an entry holds. */
  readonly query: string;
  /** The operation `query` parses to. */
  readonly operation: OperationDefinitionNode;
  /** Variables `query` uses (not `representations`): part of every key. */
  readonly variables: readonly string[];
  /**
   * The fetch with its viewer-dependent fields where they were, and the entities' keys added:
   * what a miss sends (one request), its answer stored without them. Null without remainders.
   */
  readonly fullQuery: { readonly text: string; readonly variables: readonly string[] } | null;
  /** Viewer-dependent fields asked per request; none for most fetches. */
  readonly remainders: readonly ViewerRemainder[];
  /** The query that asks for them (`r0: _entities(...)`, one per remainder), and the variables it uses besides. */
  readonly remainderQuery: { readonly text: string; readonly name: string; readonly variables: readonly string[] } | null;
  /** The smallest TTL among the fields and types it selects, if any has one. */
  readonly ttlSeconds: number | undefined;
  /** Object, interface and union types it can return: a type-wide invalidation (`PostConnection`) drops its entries. */
  readonly types: readonly string[];
}

export type FetchShape =
  | CachedFetchShape
  | { readonly kind: 'uncached'; readonly reason: string; readonly mutation?: true }
  | { readonly kind: 'mutation' };

/** What deciding a fetch's shape needs to know about the supergraph it runs on. */
export interface ShapeContext {
  /** The supergraph schema (its type names are the subgraphs'). */
  readonly schema: GraphQLSchema;
  /** `Type.field` of every field tagged viewer-dependent. */
  readonly viewerDependent: ReadonlySet<string>;
  /** Seconds per type name or `Type.field` (the response cache's RESPONSE_CACHE_TTL); 0 means never cached. */
  readonly ttlSeconds: Readonly<Record<string, number>>;
  /** The key fields of `typename` resolvable in `subgraph` (a single-field list of plain fields), or null. */
  keyOf(subgraph: string, typename: string): readonly string[] | null;
  /** Whether `Type.field` has `@requires` in `subgraph`. */
  requires(subgraph: string, coordinate: string): boolean;
}

class Uncached extends Error {}

/**
 * How the entity cache treats one fetch of a query plan (decided once per fetch text):
 * - a query whose root fields are all viewer-independent and whose TTLs are all above 0 is a
 *   root entry; an `_entities` query is an entry per representation;
 * - a viewer-dependent field below the root (`Post.likedByViewer`, `User.isFollowedByViewer`) is
 *   taken out of the cached selection, with the key of the entity it belongs to put in, and asked
 *   per request (ViewerRemainder), so the rest is shared by every viewer;
 * - anything else (mutations, `Query.feed`, `Query.me`, TTL 0, named fragments, a
 *   viewer-dependent field on a type the subgraph cannot resolve by key) is not cached at all.
 */
export function fetchShapeOf(subgraph: string, query: string, context: ShapeContext): FetchShape {
  try {
    return decide(subgraph, query, context);
  } catch (error) {
    if (error instanceof Uncached) return { kind: 'uncached', reason: error.message };
    throw error;
  }
}

function decide(subgraph: string, query: string, context: ShapeContext): FetchShape {
  const document = parse(query);
  if (document.definitions.length !== 1) throw new Uncached('not a single operation');
  const operation = document.definitions[0] as OperationDefinitionNode;
  if (operation.kind === Kind.OPERATION_DEFINITION && operation.operation === 'mutation') return { kind: 'mutation' };
  if (operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') throw new Uncached('not a query');
  const queryType = context.schema.getQueryType();
  if (queryType === null || queryType === undefined) throw new Uncached('no query type');
  const entities = entitiesField(operation);
  const { walk, selectionSet } = rewrite(operation, entities, queryType, new Walk(subgraph, context, false));
  let ttlSeconds: number | undefined;
  for (const name of [...walk.coordinates, ...walk.types]) {
    const ttl = context.ttlSeconds[name];
    if (ttl === undefined) continue;
    if (ttl === 0) throw new Uncached(`${name} has TTL 0`);
    ttlSeconds = Math.min(ttl, ttlSeconds ?? ttl);
  }
  const shared = withUsedVariables(operation, selectionSet);
  // With the viewer-dependent fields kept in place: what a miss sends, so it costs one request.
  const full =
    walk.remainders.length === 0
      ? null
      : withUsedVariables(operation, rewrite(operation, entities, queryType, new Walk(subgraph, context, true)).selectionSet);
  return {
    kind: entities === null ? 'root' : 'entities',
    query: print(shared.operation),
    operation: shared.operation,
    variables: shared.variables,
    fullQuery: full === null ? null : { text: print(full.operation), variables: full.variables },
    remainders: walk.remainders,
    remainderQuery: remainderQueryOf(operation, walk.removed),
    ttlSeconds,
    types: [...walk.types].sort(),
  };
}

/** The operation with only the variable definitions `selectionSet` uses, and their names (`representations` aside). */
function withUsedVariables(
  operation: OperationDefinitionNode,
  selectionSet: SelectionSetNode,
): { operation: OperationDefinitionNode; variables: string[] } {
  const used = variablesIn(selectionSet);
  return {
    operation: {
      ...operation,
      selectionSet,
      variableDefinitions: (operation.variableDefinitions ?? []).filter((definition) => used.has(definition.variable.name.value)),
    },
    variables: [...used].filter((name) => name !== 'representations').sort(),
  };
}

/** The fetch's selection rewritten by `walk`. */
function rewrite(
  operation: OperationDefinitionNode,
  entities: FieldNode | null,
  queryType: GraphQLCompositeType,
  walk: Walk,
): { walk: Walk; selectionSet: SelectionSetNode } {
  const context = walk.context;
  let selectionSet: SelectionSetNode;
  if (entities === null) {
    selectionSet = walk.selectionSet(operation.selectionSet, queryType, [], 'root');
  } else {
    // `_entities(representations:) { ... on T { … } }`: each fragment's fields are an entity's own.
    const fragments = (entities.selectionSet?.selections ?? []).map((selection) => {
      if (selection.kind === Kind.FIELD && selection.name.value === '__typename') return selection;
      if (selection.kind !== Kind.INLINE_FRAGMENT || selection.typeCondition === undefined) {
        throw new Uncached('an _entities selection that is not `... on Type`');
      }
      const type = context.schema.getType(selection.typeCondition.name.value);
      if (!isObjectType(type)) throw new Uncached('an entity of an abstract type');
      walk.types.add(type.name);
      return { ...selection, selectionSet: walk.selectionSet(selection.selectionSet, type, [], 'entity') };
    });
    selectionSet = {
      ...operation.selectionSet,
      selections: [{ ...entities, selectionSet: { kind: Kind.SELECTION_SET, selections: fragments } }],
    };
  }
  return { walk, selectionSet };
}

/** The `_entities` field of an entity fetch, or null for a root fetch. */
function entitiesField(operation: OperationDefinitionNode): FieldNode | null {
  const [first, ...others] = operation.selectionSet.selections;
  if (first?.kind === Kind.FIELD && first.name.value === '_entities') {
    if (others.length > 0) throw new Uncached('_entities with other root fields');
    return first;
  }
  return null;
}

/** Walks a fetch's selection, taking viewer-dependent fields out and collecting what decides its TTL and index. */
class Walk {
  readonly coordinates = new Set<string>();
  readonly types = new Set<string>();
  readonly remainders: ViewerRemainder[] = [];
  /** The fields taken out, per remainder, in remainder order. */
  readonly removed: { typename: string; fields: FieldNode[] }[] = [];

  constructor(
    private readonly subgraph: string,
    readonly context: ShapeContext,
    /** Keeps the viewer-dependent fields where they are (the keys are added all the same). */
    private readonly keep: boolean,
  ) {}

  selectionSet(
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    path: readonly string[],
    at: 'root' | 'entity' | 'nested',
  ): SelectionSetNode {
    const kept: SelectionNode[] = [];
    const removed: FieldNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) throw new Uncached('a named fragment');
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition?.name.value;
        const type = condition === undefined ? parent : this.context.schema.getType(condition);
        if (!isCompositeType(type)) throw new Uncached(`unknown type ${condition}`);
        kept.push({ ...selection, selectionSet: this.selectionSet(selection.selectionSet, type, path, at) });
        continue;
      }
      const responseName = selection.alias?.value ?? selection.name.value;
      if (responseName.startsWith(ADDED_PREFIX)) throw new Uncached(`a response name starting with ${ADDED_PREFIX}`);
      const name = selection.name.value;
      if (name === '__typename') {
        kept.push(selection);
        continue;
      }
      const owners = isAbstractType(parent) ? [parent, ...this.context.schema.getPossibleTypes(parent)] : [parent];
      if (owners.some((owner) => this.context.viewerDependent.has(`${owner.name}.${name}`))) {
        if (isAbstractType(parent)) throw new Uncached(`viewer-dependent ${parent.name}.${name} on an abstract type`);
        removed.push(selection);
        continue;
      }
      for (const owner of owners) this.coordinates.add(`${owner.name}.${name}`);
      const field = 'getFields' in parent ? parent.getFields()[name] : undefined;
      if (field === undefined) throw new Uncached(`unknown field ${parent.name}.${name}`);
      const named = getNamedType(field.type);
      if (isCompositeType(named) && selection.selectionSet !== undefined) {
        this.types.add(named.name);
        kept.push({
          ...selection,
          selectionSet: this.selectionSet(selection.selectionSet, named, [...path, responseName], 'nested'),
        });
      } else kept.push(selection);
    }
    if (removed.length === 0) return { ...selectionSet, selections: kept };
    if (at === 'root') throw new Uncached(`viewer-dependent root field ${parent.name}.${removed[0]?.name.value}`);
    if (!isObjectType(parent)) throw new Uncached(`viewer-dependent fields on abstract ${parent.name}`);
    const byRepresentation = at === 'entity';
    if (!byRepresentation) {
      for (const field of removed) {
        if (this.context.requires(this.subgraph, `${parent.name}.${field.name.value}`)) {
          throw new Uncached(`viewer-dependent ${parent.name}.${field.name.value} has @requires`);
        }
      }
    }
    const keyFields = byRepresentation ? [] : this.context.keyOf(this.subgraph, parent.name);
    if (keyFields === null) throw new Uncached(`${parent.name} has no key in ${this.subgraph}`);
    this.remainders.push({
      path,
      typename: parent.name,
      byRepresentation,
      keyFields,
      responseNames: removed.map((field) => field.alias?.value ?? field.name.value),
    });
    this.removed.push({ typename: parent.name, fields: removed });
    if (this.keep) kept.push(...removed);
    if (!byRepresentation) {
      kept.push(aliased(TYPENAME_ALIAS, '__typename'));
      for (const key of keyFields) kept.push(aliased(keyAlias(key), key));
    } else if (kept.length === 0) kept.push(aliased('__typename', '__typename'));
    return { ...selectionSet, selections: kept };
  }
}

function aliased(alias: string, name: string): FieldNode {
  return {
    kind: Kind.FIELD,
    ...(alias === name ? {} : { alias: { kind: Kind.NAME, value: alias } }),
    name: { kind: Kind.NAME, value: name },
  };
}

/** Names of the variables a selection uses. */
function variablesIn(node: SelectionSetNode | readonly FieldNode[]): Set<string> {
  const names = new Set<string>();
  const nodes = Array.isArray(node) ? node : [node];
  for (const each of nodes) {
    visit(each, {
      Variable(variable) {
        names.add(variable.name.value);
      },
    });
  }
  return names;
}

/** `query X__viewer($r0: [_Any!]!, …) { r0: _entities(representations: $r0) { ... on T { fields } } … }`, or null. */
function remainderQueryOf(
  operation: OperationDefinitionNode,
  removed: readonly { typename: string; fields: FieldNode[] }[],
): { text: string; name: string; variables: string[] } | null {
  if (removed.length === 0) return null;
  const used = variablesIn(removed.flatMap(({ fields }) => fields));
  used.delete('representations');
  const definitions = (operation.variableDefinitions ?? []).filter((definition: VariableDefinitionNode) =>
    used.has(definition.variable.name.value),
  );
  const declared = [...removed.map((_, index) => `$r${index}: [_Any!]!`), ...definitions.map((definition) => print(definition))];
  const fields = removed.map(
    ({ typename, fields: taken }, index) =>
      `r${index}: _entities(representations: $r${index}) { ... on ${typename} { ${taken.map((field) => print(field)).join(' ')} } }`,
  );
  const name = `${operation.name?.value ?? 'Fetch'}__viewer`;
  return { text: `query ${name}(${declared.join(', ')}) { ${fields.join(' ')} }`, name, variables: [...used].sort() };
}
