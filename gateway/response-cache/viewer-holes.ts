import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { Viewer } from '../../lib/kernel/tokens.js';
import { TouchedEntities } from '../../lib/kernel/touched-entities.js';
import type { GatewayContext } from '../context.js';
import { shapeContextOf } from '../entity-cache/shape-context.js';
import type { LoadedSupergraph } from '../federation/supergraph.js';

/** One viewer-dependent leaf of a hole: its response name (an alias or the field's name), and its field. */
interface HoleField {
  readonly responseName: string;
  readonly fieldName: string;
  /** A non-null field answered null is not filled: the full path decides what that null does. */
  readonly nonNull: boolean;
}

/** The objects of one type at one response path whose viewer-dependent leaves a subgraph fills. */
interface ViewerHole {
  /** Response names from `data` to the objects; lists on the way are walked through. */
  readonly path: readonly string[];
  readonly typename: string;
  /** The entity key the subgraph resolves the type by, each selected under its own name at that path. */
  readonly keyFields: readonly string[];
  readonly fields: readonly HoleField[];
}

/** One `_entities` request to one subgraph, for its holes (`r0`, `r1`, … in hole order). */
interface HoleFetch {
  readonly subgraph: string;
  readonly query: string;
  readonly holes: readonly ViewerHole[];
}

/**
 * How an operation whose only viewer-dependent selections are leaves of entities (`likedByViewer`,
 * `isFollowedByViewer`, `email`, `unreadCount`) is answered from one response shared by every
 * viewer: the response stored with those leaves null, and each request's own values asked of
 * the subgraphs that resolve them, by entity key, with the request's token.
 */
export interface ViewerHolePlan {
  readonly fetches: readonly HoleFetch[];
}

/** The subgraph resolving `Type.field`, and the key it resolves the type by; null when it cannot be asked alone. */
type FieldResolver = (typename: string, fieldName: string) => { subgraph: string; keyFields: readonly string[] } | null;

/**
 * Viewer holes over one supergraph generation: which operations can share a response across
 * viewers (`planOf`, decided once per document), and the filling of a shared response for one
 * viewer (`fill`), through the generation's own subgraph data sources.
 */
export class ViewerHoles {
  readonly #viewerDependent: ReadonlySet<string>;
  readonly #resolverOf: FieldResolver;
  readonly #dataSources: Readonly<Record<string, GraphQLDataSource<GatewayContext>>>;
  /** A supergraph declaring `@authenticated` or `@requiresScopes` shares nothing: a hit skips the access check. */
  readonly #guarded: boolean;
  readonly #plans = new WeakMap<DocumentNode, Map<string, ViewerHolePlan | null>>();

  constructor(
    loaded: LoadedSupergraph,
    viewerDependent: ReadonlySet<string>,
    dataSources: Readonly<Record<string, GraphQLDataSource<GatewayContext>>>,
  ) {
    this.#viewerDependent = viewerDependent;
    this.#resolverOf = fieldResolverOf(loaded);
    this.#dataSources = dataSources;
    this.#guarded = loaded.access.fields.size > 0 || loaded.access.types.size > 0;
  }

  /** The plan of a per-viewer operation, or null when its response must stay per viewer. */
  planOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): ViewerHolePlan | null {
    let byOperation = this.#plans.get(document);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.#plans.set(document, byOperation);
    }
    const name = operationName ?? '';
    let plan = byOperation.get(name);
    if (plan === undefined) {
      plan = this.#guarded ? null : decidePlan(schema, document, operationName, this.#viewerDependent, this.#resolverOf);
      byOperation.set(name, plan);
    }
    return plan;
  }

  /**
   * Writes `viewer`'s values into `data` (a shared response, parsed for this request). False,
   * with `data` partly written, when any answer is not a plain value for every hole (an error,
   * an entity gone, a subgraph down): the caller runs the operation instead, whose answer says
   * what such a failure means. Never throws.
   */
  async fill(plan: ViewerHolePlan, data: unknown, viewer: Viewer | null): Promise<boolean> {
    try {
      const filled = await Promise.all(plan.fetches.map((fetch) => this.#fillFetch(fetch, data, viewer)));
      return filled.every(Boolean);
    } catch {
      return false;
    }
  }

  async #fillFetch(fetch: HoleFetch, data: unknown, viewer: Viewer | null): Promise<boolean> {
    const source = this.#dataSources[fetch.subgraph];
    if (source === undefined) return false;
    const targets = fetch.holes.map((hole) => objectsAt(data, hole.path));
    if (targets.every((objects) => objects.length === 0)) return true;
    const variables: Record<string, unknown> = {};
    for (const [index, hole] of fetch.holes.entries()) {
      const representations: Record<string, unknown>[] = [];
      for (const object of targets[index] ?? []) {
        const representation: Record<string, unknown> = { __typename: hole.typename };
        for (const field of hole.keyFields) {
          const value = object[field];
          if (value === null || value === undefined) return false;
          representation[field] = value;
        }
        representations.push(representation);
      }
      variables[`r${index}`] = representations;
    }
    // SubgraphDataSource reads only the request and the viewer of what Apollo passes it.
    const response: GatewayGraphQLResponse = await source.process({
      request: { query: fetch.query, variables },
      context: { viewer, touched: new TouchedEntities() },
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    if ((response.errors?.length ?? 0) > 0) return false;
    const answered = (response.data ?? null) as Record<string, unknown> | null;
    for (const [index, hole] of fetch.holes.entries()) {
      const objects = targets[index] ?? [];
      const entities = answered?.[`r${index}`];
      if (!Array.isArray(entities) || entities.length !== objects.length) return false;
      for (const [position, object] of objects.entries()) {
        const entity = entities[position] as Record<string, unknown> | null | undefined;
        if (entity === null || entity === undefined || typeof entity !== 'object') return false;
        for (const field of hole.fields) {
          const value = entity[field.fieldName];
          if (value === undefined || (value === null && field.nonNull)) return false;
          object[field.responseName] = value;
        }
      }
    }
    return true;
  }
}

/** A copy of `data` with every hole's leaves null (in place, so the keys keep the order of the selection), sharing what no hole touches. */
export function withHolesEmptied(plan: ViewerHolePlan, data: unknown): unknown {
  let copy = data;
  for (const fetch of plan.fetches) {
    for (const hole of fetch.holes) copy = emptied(copy, hole, 0);
  }
  return copy;
}

function emptied(value: unknown, hole: ViewerHole, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => emptied(item, hole, depth));
  const object = { ...(value as Record<string, unknown>) };
  if (depth < hole.path.length) {
    const name = hole.path[depth] as string;
    if (name in object) object[name] = emptied(object[name], hole, depth + 1);
    return object;
  }
  for (const field of hole.fields) if (field.responseName in object) object[field.responseName] = null;
  return object;
}

/** The objects at `path` below `value`, through lists, skipping nulls. */
function objectsAt(value: unknown, path: readonly string[]): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const descend = (current: unknown, depth: number) => {
    if (current === null || typeof current !== 'object') return;
    if (Array.isArray(current)) {
      for (const item of current) descend(item, depth);
      return;
    }
    const object = current as Record<string, unknown>;
    if (depth === path.length) found.push(object);
    else descend(object[path[depth] as string], depth + 1);
  };
  descend(value, 0);
  return found;
}

/**
 * The plan of one operation: its viewer-dependent fields are all leaves without arguments, below
 * the root, on object types that the one subgraph resolving them knows by a key the client selects
 * at the same place; and nothing on the way is conditional (`@skip`, `@include`, any directive)
 * or abstract around them. Anything else is null: answered per viewer, as before.
 */
function decidePlan(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  viewerDependent: ReadonlySet<string>,
  resolverOf: FieldResolver,
): ViewerHolePlan | null {
  const operation = getOperationAST(document, operationName);
  const root = schema.getQueryType();
  if (operation?.operation !== 'query' || root === null || root === undefined) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const viewerDependentNames = new Set([...viewerDependent].map((coordinate) => coordinate.slice(coordinate.indexOf('.') + 1)));
  const holes: (ViewerHole & { subgraph: string })[] = [];

  /** Fields by response name, through the fragments of `type`; null when a selection is conditional or of another type. */
  const fieldsOf = (sets: readonly SelectionSetNode[], type: GraphQLObjectType): Map<string, FieldNode[]> | null => {
    const fields = new Map<string, FieldNode[]>();
    const collect = (set: SelectionSetNode): boolean => {
      for (const selection of set.selections) {
        if ((selection.directives?.length ?? 0) > 0) return false;
        if (selection.kind === Kind.FIELD) {
          const responseName = selection.alias?.value ?? selection.name.value;
          fields.set(responseName, [...(fields.get(responseName) ?? []), selection]);
          continue;
        }
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (fragment === undefined) return false;
        if (fragment.typeCondition !== undefined && fragment.typeCondition.name.value !== type.name) return false;
        if ((fragment.directives?.length ?? 0) > 0 || !collect(fragment.selectionSet)) return false;
      }
      return true;
    };
    return sets.every(collect) ? fields : null;
  };

  /** Whether a selection below an abstract type may reach a viewer-dependent field (by name: conservative). */
  const mayReachViewerDependent = (sets: readonly SelectionSetNode[], seen = new Set<string>()): boolean =>
    sets.some((set) =>
      set.selections.some((selection) => {
        if (selection.kind === Kind.FIELD) {
          return (
            viewerDependentNames.has(selection.name.value) ||
            (selection.selectionSet !== undefined && mayReachViewerDependent([selection.selectionSet], seen))
          );
        }
        if (selection.kind === Kind.INLINE_FRAGMENT) return mayReachViewerDependent([selection.selectionSet], seen);
        if (seen.has(selection.name.value)) return false;
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        return fragment === undefined || mayReachViewerDependent([fragment.selectionSet], seen);
      }),
    );

  const walk = (sets: readonly SelectionSetNode[], type: GraphQLObjectType, path: readonly string[]): boolean => {
    const fields = fieldsOf(sets, type);
    if (fields === null) return false;
    const holeFields: HoleField[] = [];
    let resolver: { subgraph: string; keyFields: readonly string[] } | null = null;
    for (const [responseName, nodes] of fields) {
      const fieldName = (nodes[0] as FieldNode).name.value;
      if (fieldName === '__typename') continue;
      const definition = type.getFields()[fieldName];
      if (definition === undefined) return false;
      const named = getNamedType(definition.type);
      if (viewerDependent.has(`${type.name}.${fieldName}`)) {
        if (path.length === 0 || definition.args.length > 0 || !isLeafType(named)) return false;
        const owner = resolverOf(type.name, fieldName);
        if (owner === null || (resolver !== null && owner.subgraph !== resolver.subgraph)) return false;
        resolver = owner;
        holeFields.push({ responseName, fieldName, nonNull: isNonNullType(definition.type) });
        continue;
      }
      if (isLeafType(named)) continue;
      const below = nodes.flatMap((node) => (node.selectionSet === undefined ? [] : [node.selectionSet]));
      if (isObjectType(named)) {
        if (!walk(below, named, [...path, responseName])) return false;
      } else if (mayReachViewerDependent(below)) {
        return false;
      }
    }
    if (resolver === null) return true;
    for (const key of resolver.keyFields) {
      const selected = fields.get(key);
      if (selected === undefined || selected.some((node) => node.name.value !== key)) return false;
    }
    holes.push({ path, typename: type.name, keyFields: resolver.keyFields, fields: holeFields, subgraph: resolver.subgraph });
    return true;
  };

  if (!walk([operation.selectionSet], root, []) || holes.length === 0) return null;
  const bySubgraph = new Map<string, ViewerHole[]>();
  for (const { subgraph, ...hole } of holes) bySubgraph.set(subgraph, [...(bySubgraph.get(subgraph) ?? []), hole]);
  return {
    fetches: [...bySubgraph].map(([subgraph, list]) => ({ subgraph, holes: list, query: entitiesQuery(list) })),
  };
}

/** `query ViewerHoles($r0: [_Any!]!) { r0: _entities(representations: $r0) { ... on Post { likedByViewer } } }`. */
function entitiesQuery(holes: readonly ViewerHole[]): string {
  const variables = holes.map((_, index) => `$r${index}: [_Any!]!`).join(', ');
  const fields = holes.map((hole, index) => {
    const leaves = [...new Set(hole.fields.map((field) => field.fieldName))].join(' ');
    return `r${index}: _entities(representations: $r${index}) { ... on ${hole.typename} { ${leaves} } }`;
  });
  return `query ViewerHoles(${variables}) { ${fields.join(' ')} }`;
}

/**
 * The one subgraph that resolves a field itself (not `@external`, no `@requires`, no `@override`
 * split between two), with the plain key (`id`) it resolves the field's type by: the entity
 * cache's reading of keys and `@requires` (entity-cache/shape-context.ts).
 */
function fieldResolverOf(loaded: LoadedSupergraph): FieldResolver {
  const shapes = shapeContextOf(loaded, new Set(), {});
  const resolvers = new Map<string, { subgraph: string; keyFields: readonly string[] | null }[]>();
  for (const subgraph of loaded.supergraph.subgraphs()) {
    const external = subgraph.metadata().externalDirective();
    for (const type of subgraph.schema.objectTypes()) {
      for (const field of type.fields()) {
        const coordinate = `${type.name}.${field.name}`;
        if (field.appliedDirectivesOf(external).length > 0) continue;
        const keyFields = shapes.requires(subgraph.name, coordinate) ? null : shapes.keyOf(subgraph.name, type.name);
        resolvers.set(coordinate, [...(resolvers.get(coordinate) ?? []), { subgraph: subgraph.name, keyFields }]);
      }
    }
  }
  return (typename, fieldName) => {
    const found = resolvers.get(`${typename}.${fieldName}`);
    const only = found?.length === 1 ? found[0] : undefined;
    return only === undefined || only.keyFields === null ? null : { subgraph: only.subgraph, keyFields: only.keyFields };
  };
}
