import {
  AUTHENTICATED_VERSIONS,
  type AuthenticatedSpecDefinition,
  type CoreFeatures,
  type DirectiveDefinition,
  type FeatureDefinitions,
  FieldDefinition,
  type NamedType,
  REQUIRES_SCOPES_VERSIONS,
  type RequiresScopesSpecDefinition,
  type Supergraph,
} from '@apollo/federation-internals';
import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { ErrorCode } from '../../lib/kernel/errors.js';

/**
 * One `@requiresScopes(scopes:)`: met by a viewer holding every scope of at least one set,
 * `[["a", "b"], ["c"]]` being (a AND b) OR c.
 */
export type ScopeSets = readonly (readonly string[])[];

/** What reading one field, or any value of one type, needs, as the supergraph declares it. */
export interface AccessRequirement {
  /** `@authenticated`: a signed-in viewer. */
  readonly authenticated: boolean;
  /** `@requiresScopes`; undefined without one (or with one that every viewer meets, `[]` or `[[]]`). */
  readonly scopeSets: ScopeSets | undefined;
}

/** Every `@authenticated` and `@requiresScopes` of a supergraph. */
export interface AccessRequirements {
  /** By schema coordinate, `Type.field`. */
  readonly fields: ReadonlyMap<string, AccessRequirement>;
  /** By type name: objects, interfaces, scalars and enums. */
  readonly types: ReadonlyMap<string, AccessRequirement>;
}

/** The operation that would run, as the gateway received it. */
export interface AccessRequest {
  /** The API schema the document was validated against. */
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operationName?: string | null | undefined;
  /** The request's raw variables: coerced here, with the operation's defaults, for `@skip`/`@include`. */
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/** Who asks: what `lib/kernel/tokens.ts`'s Viewer carries for this check. */
export interface AccessViewer {
  readonly scopes: ReadonlySet<string>;
}

/**
 * The requirements `supergraph` declares, found through its `@link`s to
 * https://specs.apollo.dev/authenticated/v0.1 and requiresScopes/v0.1 (under whatever name
 * they are linked `as`). Which linked specs a supergraph may use at all is
 * decided where it is loaded (supergraph.ts); a version of these two it does not know throws.
 */
export function accessRequirementsOf(supergraph: Supergraph): AccessRequirements {
  const { schema } = supergraph;
  const features = schema.coreFeatures;
  const fields = new Map<string, Mutable<AccessRequirement>>();
  const types = new Map<string, Mutable<AccessRequirement>>();
  if (features === undefined) return { fields, types };

  // The directives' locations are fields, objects, interfaces, scalars and enums.
  const requirementOf = (element: unknown): Mutable<AccessRequirement> => {
    const [map, key] = element instanceof FieldDefinition ? [fields, element.coordinate] : [types, (element as NamedType).name];
    let requirement = map.get(key);
    if (requirement === undefined) {
      requirement = { authenticated: false, scopeSets: undefined };
      map.set(key, requirement);
    }
    return requirement;
  };

  const authenticated = linkedDirective(features, AUTHENTICATED_VERSIONS, (spec) => spec.authenticatedDirective(schema));
  for (const application of authenticated?.applications() ?? []) requirementOf(application.parent).authenticated = true;
  const requiresScopes = linkedDirective(features, REQUIRES_SCOPES_VERSIONS, (spec) => spec.requiresScopesDirective(schema));
  for (const application of requiresScopes?.applications() ?? []) {
    const scopeSets = application.arguments().scopes;
    // The router's reading: no sets, or an empty set, is met by anyone (apollo-router scopes.rs).
    if (scopeSets.length === 0 || scopeSets.some((set) => set.length === 0)) continue;
    requirementOf(application.parent).scopeSets = scopeSets.map((set) => [...new Set(set)]);
  }
  return { fields, types };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The directive a linked feature defines, in the version linked; a version we do not know is refused. */
function linkedDirective<
  T extends AuthenticatedSpecDefinition | RequiresScopesSpecDefinition,
  Args extends Record<string, unknown>,
>(
  features: CoreFeatures,
  versions: FeatureDefinitions<T>,
  directiveOf: (spec: T) => DirectiveDefinition<Args> | undefined,
): DirectiveDefinition<Args> | undefined {
  const feature = features.getByIdentity(versions.identity);
  if (feature === undefined) return undefined;
  const spec = versions.find(feature.url.version);
  if (spec === undefined) {
    throw new Error(`The supergraph links ${feature.url.url}, a version the gateway does not know how to enforce`);
  }
  return directiveOf(spec);
}

/**
 * The errors of every field of the operation `request` would run that `viewer` may not read:
 * `UNAUTHENTICATED` for an anonymous viewer and any requirement, `FORBIDDEN` for a signed-in
 * one without the scopes. Empty: the operation may run. It runs before any subgraph is called.
 *
 * Which requirements a selected field meets, following Apollo Router's documented semantics
 * (https://www.apollographql.com/docs/graphos/routing/security/authorization, "Authorization and
 * interfaces" and "Polymorphic types with different requirements"; apollographql/router
 * docs/source/routing/security/authorization.mdx):
 * - the field's own, and its return type's (so `me { __typename }` needs what `me`'s type needs);
 * - those of every object type the value may be at that point, and of that type's field of the
 *   same name: a field read through an interface needs what each implementation needs, unless a
 *   fragment narrows the possible types (`... on Post { label }` needs only Post's);
 * - those of the type condition of each fragment it is selected in; at the root, the root type's
 *   (an `@authenticated` Mutation protects every mutation).
 * `__typename`, `__schema` and `__type` never need anything, and a fragment holding only them is
 * no read of its type. A field left out by `@skip`/`@include` is not read; a condition that
 * cannot be known (variables that do not coerce) counts the field as read.
 * A refused field gets one error (its selections are not looked at: they will not be read
 * either), at the response keys down to it (aliases; list indices do not exist before execution).
 */
export function checkAccess(
  requirements: AccessRequirements,
  request: AccessRequest,
  viewer: AccessViewer | null,
): GraphQLError[] {
  if (requirements.fields.size === 0 && requirements.types.size === 0) return [];
  const { schema, document } = request;
  const operation = getOperationAST(document, request.operationName);
  // No operation that would run (unknown name, several without a name): execution refuses it.
  if (operation === null || operation === undefined) return [];
  const rootType = schema.getRootType(operation.operation);
  if (rootType === undefined || rootType === null) return [];
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  const walk = new OperationWalk(requirements, schema, document, coerced.coerced, viewer);
  walk.selectionSet(operation.selectionSet, { parent: rootType, possibleTypes: [rootType], conditions: [] }, []);
  return walk.errors();
}

/**
 * Where a selection set is read: its static type, the object types the value may be there, and
 * the protected type conditions of the fragments it is in (since the field above).
 */
interface SelectionContext {
  readonly parent: GraphQLCompositeType;
  readonly possibleTypes: readonly GraphQLObjectType[];
  readonly conditions: readonly string[];
}

const INTROSPECTION_FIELDS = new Set(['__typename', '__schema', '__type']);

class OperationWalk {
  readonly #requirements: AccessRequirements;
  readonly #schema: GraphQLSchema;
  readonly #fragments = new Map<string, { typeCondition: string; selectionSet: SelectionSetNode }>();
  readonly #variables: Readonly<Record<string, unknown>> | undefined;
  readonly #viewer: AccessViewer | null;
  /** By response path and message: a field selected twice into one response key is one error. */
  readonly #refusals = new Map<
    string,
    { code: ErrorCode; message: string; path: string[]; nodes: FieldNode[]; extensions: object }
  >();

  constructor(
    requirements: AccessRequirements,
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Readonly<Record<string, unknown>> | undefined,
    viewer: AccessViewer | null,
  ) {
    this.#requirements = requirements;
    this.#schema = schema;
    this.#variables = variables;
    this.#viewer = viewer;
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        this.#fragments.set(definition.name.value, {
          typeCondition: definition.typeCondition.name.value,
          selectionSet: definition.selectionSet,
        });
      }
    }
  }

  /**
   * `spread`: the fragments already expanded at this level in the same context, as graphql-js
   * collects fields (a second spread adds nothing), which also ends fragment cycles.
   */
  selectionSet(
    selectionSet: SelectionSetNode,
    context: SelectionContext,
    path: readonly string[],
    spread = new Set<string>(),
  ): void {
    for (const selection of selectionSet.selections) {
      if (this.#leftOut(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        this.#field(selection, context, path);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const narrowed =
          selection.typeCondition === undefined ? context : this.#narrow(context, selection.typeCondition.name.value);
        if (narrowed !== undefined) this.selectionSet(selection.selectionSet, narrowed, path, spread);
      } else {
        const fragment = this.#fragments.get(selection.name.value);
        if (fragment === undefined) continue;
        const narrowed = this.#narrow(context, fragment.typeCondition);
        if (narrowed === undefined) continue;
        const key = `${selection.name.value}:${narrowed.possibleTypes.map((type) => type.name).join(',')}:${narrowed.conditions.join(',')}`;
        if (spread.has(key)) continue;
        spread.add(key);
        this.selectionSet(fragment.selectionSet, narrowed, path, spread);
      }
    }
  }

  errors(): GraphQLError[] {
    return [...this.#refusals.values()].map(
      ({ code, message, path, nodes, extensions }) =>
        new GraphQLError(message, { nodes, path, extensions: { code, ...extensions } }),
    );
  }

  #field(node: FieldNode, context: SelectionContext, path: readonly string[]): void {
    const name = node.name.value;
    if (INTROSPECTION_FIELDS.has(name)) return;
    const { parent } = context;
    // Only objects and interfaces have fields besides __typename; an unknown one fails validation.
    const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (definition === undefined) return;
    const needed: AccessRequirement[] = [];
    const { fields, types } = this.#requirements;
    const add = (requirement: AccessRequirement | undefined) => {
      if (requirement !== undefined) needed.push(requirement);
    };
    add(fields.get(`${parent.name}.${name}`));
    add(types.get(getNamedType(definition.type).name));
    for (const type of context.possibleTypes) {
      add(types.get(type.name));
      if (type === parent) continue;
      const implementation = type.getFields()[name];
      if (implementation === undefined) continue;
      add(fields.get(`${type.name}.${name}`));
      add(types.get(getNamedType(implementation.type).name));
    }
    for (const condition of context.conditions) add(types.get(condition));

    const responsePath = [...path, node.alias?.value ?? name];
    if (this.#refuse(needed, `${parent.name}.${name}`, node, responsePath)) return;
    if (node.selectionSet === undefined) return;
    const returned = getNamedType(definition.type);
    if (!isCompositeType(returned)) return;
    const possibleTypes = isAbstractType(returned) ? this.#schema.getPossibleTypes(returned) : [returned];
    this.selectionSet(node.selectionSet, { parent: returned, possibleTypes, conditions: [] }, responsePath);
  }

  /** Records the error for a field `needed` refuses to this viewer; whether there is one. */
  #refuse(needed: readonly AccessRequirement[], coordinate: string, node: FieldNode, path: string[]): boolean {
    if (needed.length === 0) return false;
    const viewer = this.#viewer;
    // Each requirement is @authenticated or scopes, and an anonymous viewer holds no scopes.
    if (viewer === null) {
      this.#record('UNAUTHENTICATED', `You must be signed in to read ${coordinate}.`, node, path, {});
      return true;
    }
    const unmet = needed
      .map((requirement) => requirement.scopeSets)
      .filter(
        (sets): sets is ScopeSets => sets !== undefined && !sets.some((set) => set.every((scope) => viewer.scopes.has(scope))),
      );
    if (unmet.length === 0) return false;
    const requiredScopes = conjunction(unmet);
    this.#record('FORBIDDEN', `You need ${describeScopes(requiredScopes)} to read ${coordinate}.`, node, path, {
      requiredScopes,
    });
    return true;
  }

  #record(code: ErrorCode, message: string, node: FieldNode, path: string[], extensions: object): void {
    const key = `${JSON.stringify(path)} ${message}`;
    const known = this.#refusals.get(key);
    if (known === undefined) this.#refusals.set(key, { code, message, path, nodes: [node], extensions });
    else known.nodes.push(node);
  }

  /** The context inside a fragment on `typeName`; undefined when no value here can be of that type. */
  #narrow(context: SelectionContext, typeName: string): SelectionContext | undefined {
    const condition = this.#schema.getType(typeName);
    if (condition === undefined || !isCompositeType(condition)) return undefined;
    const possibleTypes = context.possibleTypes.filter((type) =>
      isAbstractType(condition) ? this.#schema.isSubType(condition, type) : type === condition,
    );
    if (possibleTypes.length === 0) return undefined;
    const conditions = this.#requirements.types.has(typeName) ? [...context.conditions, typeName] : context.conditions;
    return { parent: condition, possibleTypes, conditions };
  }

  /** Whether `@skip`/`@include` leave this selection out; a condition not known here does not. */
  #leftOut(directives: readonly DirectiveNode[] | undefined): boolean {
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const condition = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
      let value: unknown;
      if (condition?.kind === Kind.BOOLEAN) value = condition.value;
      else if (condition?.kind === Kind.VARIABLE) value = this.#variables?.[condition.name.value];
      if (typeof value !== 'boolean') continue;
      if (name === 'skip' ? value : !value) return true;
    }
    return false;
  }
}

/** All of several `@requiresScopes` at once, as one list of sets: each set a union of one set from each. */
function conjunction(requirements: readonly ScopeSets[]): ScopeSets {
  let sets: (readonly string[])[] = [[]];
  for (const requirement of requirements) {
    sets = sets.flatMap((held) => requirement.map((set) => [...new Set([...held, ...set])]));
  }
  // A set holding another is never the cheaper way: drop it (and exact repeats).
  return sets.filter(
    (set, index) =>
      !sets.some(
        (other, otherIndex) =>
          otherIndex !== index &&
          other.every((scope) => set.includes(scope)) &&
          (other.length < set.length || otherIndex < index),
      ),
  );
}

/** `the scope "a"`, `the scopes "a" and "b"`, `the scopes ("a" and "b") or "c"`. */
function describeScopes(sets: ScopeSets): string {
  const only = sets.length === 1 ? sets[0] : undefined;
  if (only?.length === 1) return `the scope "${only[0]}"`;
  const described = sets.map((set) => {
    const scopes = set.map((scope) => `"${scope}"`).join(' and ');
    return sets.length > 1 && set.length > 1 ? `(${scopes})` : scopes;
  });
  return `the scopes ${described.join(' or ')}`;
}
