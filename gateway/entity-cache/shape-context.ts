import type { LoadedSupergraph } from '../federation/supergraph.js';
import type { ShapeContext } from './fetch-shape.js';

/**
 * What fetchShapeOf needs of one supergraph: its schema, viewer-dependent fields and TTLs, and
 * from each subgraph's schema the key its entity types are resolvable by (only a list of plain
 * fields, `id`, is used) and which fields have `@requires`.
 */
export function shapeContextOf(
  loaded: LoadedSupergraph,
  viewerDependent: ReadonlySet<string>,
  ttlSeconds: Readonly<Record<string, number>>,
): ShapeContext {
  const keys = new Map<string, readonly string[] | null>();
  const requiring = new Set<string>();
  for (const subgraph of loaded.supergraph.subgraphs()) {
    const metadata = subgraph.metadata();
    for (const type of subgraph.schema.objectTypes()) {
      for (const key of type.appliedDirectivesOf(metadata.keyDirective())) {
        const { fields, resolvable } = key.arguments() as { fields: string; resolvable?: boolean };
        const names = fields.trim().split(/[\s,]+/);
        if (resolvable === false || !names.every((name) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(name))) continue;
        if (!keys.has(`${subgraph.name}\u0000${type.name}`)) keys.set(`${subgraph.name}\u0000${type.name}`, names);
      }
      for (const field of type.fields()) {
        if (field.appliedDirectivesOf(metadata.requiresDirective()).length > 0) {
          requiring.add(`${subgraph.name}\u0000${type.name}.${field.name}`);
        }
      }
    }
  }
  return {
    schema: loaded.supergraphSchema,
    viewerDependent,
    ttlSeconds,
    keyOf: (subgraph, typename) => keys.get(`${subgraph}\u0000${typename}`) ?? null,
    requires: (subgraph, coordinate) => requiring.has(`${subgraph}\u0000${coordinate}`),
  };
}
