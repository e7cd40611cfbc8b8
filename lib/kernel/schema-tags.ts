import { type ConstDirectiveNode, Kind } from 'graphql';

/**
 * Whether a schema element carries `@tag(name: "<tag>")`: the federation directive subgraphs use
 * to tell the gateway about a field or argument (`viewer-dependent`, `resume-after`), composed
 * into the supergraph but not part of the public schema.
 */
export function hasTag(element: { readonly directives?: readonly ConstDirectiveNode[] | undefined }, tag: string): boolean {
  return (
    element.directives?.some(
      (directive) =>
        directive.name.value === 'tag' &&
        directive.arguments?.some(
          (argument) => argument.name.value === 'name' && argument.value.kind === Kind.STRING && argument.value.value === tag,
        ),
    ) ?? false
  );
}
