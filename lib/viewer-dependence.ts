import { type DocumentNode, type GraphQLSchema, isAbstractType, Kind, parse, TypeInfo, visit, visitWithTypeInfo } from 'graphql';

/**
 * The tag subgraphs put on fields whose value depends on who asks (`User.email`,
 * `isFollowedByViewer`, `likedByViewer`, `unreadCount`): a federation `@tag`, so it is
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
      const tagged = field.directives?.some(
        (directive) =>
          directive.name.value === 'tag' &&
          directive.arguments?.some(
            (argument) =>
              argument.name.value === 'name' &&
              argument.value.kind === Kind.STRING &&
              argument.value.value === VIEWER_DEPENDENT_TAG,
          ),
      );
      if (tagged) fields.add(`${definition.name.value}.${field.name.value}`);
    }
  }
  return fields;
}

/**
 * Whether `document` selects any viewer-dependent field, anywhere (every operation and
 * fragment, on abstract types through each possible type). When it does not, the result of
 * an event is the same for every subscriber that received that event, whoever they are.
 */
export function selectsViewerDependentField(schema: GraphQLSchema, document: DocumentNode, tagged: ReadonlySet<string>): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent === null || parent === undefined || found) return;
        const names = [parent.name, ...(isAbstractType(parent) ? schema.getPossibleTypes(parent).map((type) => type.name) : [])];
        if (names.some((name) => tagged.has(`${name}.${node.name.value}`))) found = true;
      },
    }),
  );
  return found;
}
