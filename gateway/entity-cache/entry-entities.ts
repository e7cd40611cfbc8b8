import {
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { entityKey, unidentifiedEntityKey } from '../response-cache/cache-store.js';
import { ADDED_PREFIX, TYPENAME_ALIAS } from './fetch-shape.js';

/** What an entry holds, as the store indexes it: `Post:1`, `Post:*` for a post without its id, and type names. */
export interface EntryEntities {
  readonly keys: Set<string>;
  /** Concrete type names of the objects it holds: their TTLs bound the entry's. */
  readonly typenames: Set<string>;
}

/**
 * Collects the entities in `value`, the data an entry holds for `selectionSet` on `type`: each
 * object's type (its `__typename` when selected or added, else the static object type) and its
 * `id` when the selection shows it. A touched entity then finds every entry that contains it,
 * nested ones too (a user's cached posts hold `Post:<id>` entries). `knownId` is the id of
 * `value` itself when it is an entity whose representation named it (an `_entities` entry).
 */
export function collectEntities(
  schema: GraphQLSchema,
  type: GraphQLCompositeType,
  selectionSet: SelectionSetNode | undefined,
  value: unknown,
  into: EntryEntities,
  knownId?: string,
): void {
  if (value === null || value === undefined || selectionSet === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) collectEntities(schema, type, selectionSet, item, into);
    return;
  }
  if (typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  const named = object.__typename ?? object[TYPENAME_ALIAS];
  const concrete = typeof named === 'string' ? schema.getType(named) : type;
  const typename = isObjectType(concrete) ? concrete.name : undefined;
  let idSeen = false;
  if (knownId !== undefined && typename !== undefined) {
    into.keys.add(entityKey({ typename, id: knownId }));
    idSeen = true;
  }
  const visitSelections = (selections: SelectionSetNode, parent: GraphQLCompositeType) => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition?.name.value;
        if (condition !== undefined && typename !== undefined && condition !== typename) {
          const conditionType = schema.getType(condition);
          if (!isAbstractType(conditionType) || !schema.isSubType(conditionType, concrete as GraphQLObjectType)) continue;
        }
        const next = condition === undefined ? parent : schema.getType(condition);
        if (isCompositeType(next)) visitSelections(selection.selectionSet, next);
        continue;
      }
      if (selection.kind !== Kind.FIELD) continue;
      const responseName = selection.alias?.value ?? selection.name.value;
      if (selection.name.value === 'id' && typename !== undefined && object[responseName] != null) {
        into.keys.add(entityKey({ typename, id: String(object[responseName]) }));
        idSeen = true;
      }
      if (selection.selectionSet === undefined) continue;
      const owner = typename === undefined ? parent : (concrete as GraphQLCompositeType);
      const field = 'getFields' in owner ? owner.getFields()[selection.name.value] : undefined;
      const fieldType = field === undefined ? undefined : getNamedType(field.type);
      if (isCompositeType(fieldType)) collectEntities(schema, fieldType, selection.selectionSet, object[responseName], into);
    }
  };
  visitSelections(selectionSet, type);
  if (typename === undefined) return;
  into.typenames.add(typename);
  into.keys.add(typename);
  const identifiable = isObjectType(concrete) && concrete.getFields().id !== undefined;
  if (identifiable && !idSeen) into.keys.add(unidentifiedEntityKey(typename));
}

/** Removes what the entity cache added to a fetch (ADDED_PREFIX response names), in place. */
export function stripAdded(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) stripAdded(item);
    return;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (key.startsWith(ADDED_PREFIX)) delete object[key];
    else stripAdded(object[key]);
  }
}
