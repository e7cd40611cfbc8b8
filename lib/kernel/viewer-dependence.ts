import {
  type DocumentNode,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  Kind,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { hasTag } from './schema-tags.js';

/**
 * The tag subgraphs put on fields whose value depends on who asks (`User.email`,
 * `isFollowedByViewer`, `likedByViewer`, `unreadCount`, and root fields such as `me`, `feed`
 * and `conversations`): a federation `@tag`, so it is
 * composed into the supergraph and visible to the gateway, but not part of the public schema.
 */
export const VIEWER_DEPENDENT_TAG = 'viewer-dependent';

/** `Type.field` of every field tagged viewer-dependent in a supergraph or subgraph schema. */
export function viewerDependentFields(sdl: string): Set<string> {
  const fields = new Set<string>();
  for (const definition of parse(sdl).definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      const tagged = hasTag(field, VIEWER_DEPENDENT_TAG);
      if (tagged) fields.add(`${definition.name.value}.${field.name.value}`);
    }
  }
  return fields;
}

/**
 * Every field `document` selects, anywhere (every operation and fragment), as schema
 * coordinates `Type.field`; a field selected on an abstract type counts for each possible type.
 * With it, the object, interface and union types the fields return.
 */
export function selectedFields(
  schema: GraphQLSchema,
  document: DocumentNode,
): { coordinates: Set<string>; returnTypes: Set<string> } {
  const typeInfo = new TypeInfo(schema);
  const coordinates = new Set<string>();
  const returnTypes = new Set<string>();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent === null || parent === undefined) return;
        for (const type of [parent, ...(isAbstractType(parent) ? schema.getPossibleTypes(parent) : [])]) {
          coordinates.add(`${type.name}.${node.name.value}`);
        }
        const returned = typeInfo.getType();
        const named = returned === null || returned === undefined ? undefined : getNamedType(returned);
        if (named !== undefined && isCompositeType(named)) returnTypes.add(named.name);
      },
    }),
  );
  return { coordinates, returnTypes };
}

/**
 * Whether `document` selects any viewer-dependent field. When it does not, the result of
 * an event is the same for every subscriber that received that event, whoever they are.
 */
export function selectsViewerDependentField(schema: GraphQLSchema, document: DocumentNode, tagged: ReadonlySet<string>): boolean {
  for (const coordinate of selectedFields(schema, document).coordinates) {
    if (tagged.has(coordinate)) return true;
  }
  return false;
}
