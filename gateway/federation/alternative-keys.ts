import type { Supergraph } from '@apollo/federation-internals';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { QueryPlan, QueryPlanInlineFragmentNode, QueryPlanSelectionNode } from '@apollo/query-planner';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionSetNode,
} from 'graphql';
import { fetchesOf, fetchKey, type PlacedFetch, type ResponsePath } from './plan-fetches.js';

/**
 * Entities with several keys, each instance known by only some of them: `Book @key(fields:
 * "id") @key(fields: "isbn")` where one subgraph returns some books with an `id` and others with
 * only an `isbn`. The planner picks one key per entity fetch, so stock @apollo/gateway sends
 * `{ id: null }` for the books known by isbn and they come back null.
 *
 * When the subgraph asked can resolve the type by several keys, the plan is amended: the fetch
 * that produced the entities also selects the other keys' fields (where its own subgraph has
 * them), the entity fetch's representations carry them, and each representation is sent with the
 * first key (the planner's first) whose fields are all non-null. With every planner key present,
 * what is sent is what stock sends.
 */

/** How one type's representations are sent: with one of `keys` (the planner's first), and `extras` always. */
interface KeyChoice {
  readonly keys: readonly (readonly string[])[];
  /** Fields the representation carries besides its key: those of `@requires`. */
  readonly extras: readonly string[];
}

/** The key choices of each amended entity fetch, by type, by subgraph, operation and path. */
export type AlternativeKeyFetches = ReadonlyMap<string, ReadonlyMap<string, KeyChoice>>;

/** Amends `plan` in place (see above); null when no entity fetch needed it. */
export function amendForAlternativeKeys(plan: QueryPlan, supergraph: Supergraph): AlternativeKeyFetches | null {
  const fetches = fetchesOf(plan);
  const amended = new Map<string, Map<string, KeyChoice>>();
  for (const placed of fetches) {
    const { fetch } = placed;
    if (fetch.requires === undefined) continue;
    for (const fragment of fetch.requires) {
      if (fragment.kind !== 'InlineFragment' || fragment.typeCondition === undefined) continue;
      const choice = alternativeKeys(supergraph, fetch.serviceName, fragment);
      if (choice === null) continue;
      const added = addKeyFieldsToProducer(fetches, placed, fragment.typeCondition, choice.keys, supergraph);
      if (added.length === 0) continue;
      const selections = fragment.selections as QueryPlanSelectionNode[];
      for (const name of added) selections.push({ kind: 'Field', name });
      const key = fetchKey(fetch.serviceName, fetch.operation, placed.path);
      const byType = amended.get(key) ?? new Map<string, KeyChoice>();
      byType.set(fragment.typeCondition, choice);
      amended.set(key, byType);
    }
  }
  return amended.size === 0 ? null : amended;
}

/**
 * The keys `serviceName` resolves `fragment`'s type by, the one the planner chose first, and
 * the fragment's other fields; null unless there are several keys, each made of plain fields.
 */
function alternativeKeys(supergraph: Supergraph, serviceName: string, fragment: QueryPlanInlineFragmentNode): KeyChoice | null {
  const subgraph = supergraph.subgraphs().get(serviceName);
  const type = fragment.typeCondition === undefined ? undefined : subgraph?.schema.type(fragment.typeCondition);
  if (subgraph === undefined || type === undefined || !('appliedDirectivesOf' in type)) return null;
  const fields: string[] = [];
  for (const selection of fragment.selections) {
    if (selection.kind !== 'Field' || selection.selections !== undefined || selection.alias !== undefined) return null;
    if (selection.name !== '__typename') fields.push(selection.name);
  }
  const keys: (readonly string[])[] = [];
  for (const application of type.appliedDirectivesOf(subgraph.metadata().keyDirective())) {
    const { fields: keyFields, resolvable } = application.arguments() as { fields: string; resolvable?: boolean };
    if (resolvable === false || keyFields.includes('{')) continue;
    const names = keyFields.trim().split(/[\s,]+/);
    if (!keys.some((key) => sameFields(key, names))) keys.push(names);
  }
  const planned = keys.find((key) => key.every((name) => fields.includes(name)));
  if (planned === undefined || keys.length < 2) return null;
  return {
    keys: [planned, ...keys.filter((key) => key !== planned)],
    extras: fields.filter((name) => !planned.includes(name)),
  };
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}

/**
 * Finds the one earlier fetch that selects the planner's key fields where the entity fetch
 * reads them, and adds there the other keys' fields its subgraph can give. Returns the fields
 * now selected for every key (none when no single producer could be amended).
 */
function addKeyFieldsToProducer(
  fetches: readonly PlacedFetch[],
  consumer: PlacedFetch,
  typeName: string,
  keys: readonly (readonly string[])[],
  supergraph: Supergraph,
): string[] {
  const planned = keys[0] as readonly string[];
  const producers = fetches.flatMap((placed) => {
    if (placed === consumer || !isPrefix(placed.path, consumer.path)) return [];
    const document = parse(placed.fetch.operation);
    const start = startOf(document, placed.fetch.requires !== undefined);
    if (start === undefined) return [];
    const sets = selectionSetsAt(document, start, consumer.path.slice(placed.path.length).map(String));
    const holding = sets.filter((set) => planned.every((name) => selectsField(document, set, name)));
    return holding.length === 0 ? [] : [{ placed, document, holding }];
  });
  if (producers.length !== 1) return [];
  const { placed, document, holding } = producers[0] as (typeof producers)[number];
  const available = new Set(
    keys
      .slice(1)
      .flat()
      .filter((name) => !planned.includes(name) && providesField(supergraph, placed.fetch.serviceName, typeName, name)),
  );
  if (available.size === 0) return [];
  for (const set of holding) {
    (set.selections as unknown as unknown[]).push({
      kind: Kind.INLINE_FRAGMENT,
      typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: typeName } },
      selectionSet: {
        kind: Kind.SELECTION_SET,
        selections: [...available].map((name) => ({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: name } })),
      },
    });
  }
  const fetch = placed.fetch as { operation: string; operationDocumentNode?: DocumentNode };
  fetch.operation = print(document);
  if (fetch.operationDocumentNode !== undefined) fetch.operationDocumentNode = document;
  return [...available];
}

function isPrefix(prefix: ResponsePath, path: ResponsePath): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => segment === path[index]);
}

/** Where a fetch's data starts: its operation's selections, or inside `_entities` for an entity fetch. */
function startOf(document: DocumentNode, entityFetch: boolean): SelectionSetNode | undefined {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operation === undefined) return undefined;
  if (!entityFetch) return operation.selectionSet;
  const entities = operation.selectionSet.selections.find(
    (selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === '_entities',
  );
  return entities?.selectionSet;
}

/** The selection sets the response path `path` reaches from `set`, through fragments (`@` is a list item). */
function selectionSetsAt(document: DocumentNode, set: SelectionSetNode, path: readonly string[]): SelectionSetNode[] {
  const reached: SelectionSetNode[] = [];
  const walk = (current: SelectionSetNode, index: number): void => {
    if (index < path.length && path[index] === '@') {
      walk(current, index + 1);
      return;
    }
    if (index === path.length) reached.push(current);
    for (const selection of current.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet, index);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragmentNamed(document, selection.name.value);
        if (fragment !== undefined) walk(fragment.selectionSet, index);
      } else if (
        index < path.length &&
        selection.selectionSet !== undefined &&
        (selection.alias ?? selection.name).value === path[index]
      )
        walk(selection.selectionSet, index + 1);
    }
  };
  walk(set, 0);
  // A set reached both directly and through its own fragments is amended once, at the top.
  return reached.filter((candidate, index) => reached.indexOf(candidate) === index);
}

function selectsField(document: DocumentNode, set: SelectionSetNode, name: string): boolean {
  return set.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) return selection.alias === undefined && selection.name.value === name;
    if (selection.kind === Kind.INLINE_FRAGMENT) return selectsField(document, selection.selectionSet, name);
    const fragment = fragmentNamed(document, selection.name.value);
    return fragment !== undefined && selectsField(document, fragment.selectionSet, name);
  });
}

function fragmentNamed(document: DocumentNode, name: string): FragmentDefinitionNode | undefined {
  return document.definitions.find(
    (definition): definition is FragmentDefinitionNode =>
      definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === name,
  );
}

/** True when `serviceName` resolves `typeName.fieldName` itself (not `@external`, not `@requires`). */
function providesField(supergraph: Supergraph, serviceName: string, typeName: string, fieldName: string): boolean {
  const subgraph = supergraph.subgraphs().get(serviceName);
  const type = subgraph?.schema.type(typeName);
  if (subgraph === undefined || type === undefined || !('field' in type)) return false;
  const field = type.field(fieldName);
  if (field === undefined) return false;
  const metadata = subgraph.metadata();
  return !metadata.isFieldExternal(field) && field.appliedDirectivesOf(metadata.requiresDirective()).length === 0;
}

type DataObject = Record<string, unknown>;

/** `serviceMap` whose amended entity fetches send each representation with its first complete key. */
export function choosingKeys(
  serviceMap: Readonly<Record<string, GraphQLDataSource>>,
  fetches: AlternativeKeyFetches,
): Record<string, GraphQLDataSource> {
  const wrapped: Record<string, GraphQLDataSource> = {};
  for (const [name, source] of Object.entries(serviceMap)) {
    wrapped[name] = {
      process(options) {
        const path = (options as { pathInIncomingRequest?: ResponsePath }).pathInIncomingRequest ?? [];
        const byType = fetches.get(fetchKey(name, options.request.query ?? '', path));
        const representations = options.request.variables?.representations as DataObject[] | undefined;
        if (byType === undefined || representations === undefined) return source.process(options);
        return source.process({
          ...options,
          request: {
            ...options.request,
            variables: {
              ...options.request.variables,
              representations: representations.map((representation) => withOneKey(representation, byType)),
            },
          },
        });
      },
    };
  }
  return wrapped;
}

function withOneKey(representation: DataObject, byType: ReadonlyMap<string, KeyChoice>): DataObject {
  const choice = byType.get(String(representation.__typename));
  if (choice === undefined) return representation;
  const complete = (names: readonly string[]) =>
    names.every((name) => representation[name] !== null && representation[name] !== undefined);
  const key = choice.keys.find(complete) ?? choice.keys[0] ?? [];
  const chosen: DataObject = { __typename: representation.__typename };
  for (const name of [...key, ...choice.extras]) chosen[name] = representation[name];
  return chosen;
}
