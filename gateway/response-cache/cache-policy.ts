import { type DocumentNode, type GraphQLSchema, getNamedType, getOperationAST, isInterfaceType, isObjectType } from 'graphql';
import { selectedFields } from '../../lib/kernel/viewer-dependence.js';
import type { AccessRequirements } from '../federation/access-requirements.js';

/** How the response cache treats one operation of one document. */
export interface CachePolicy {
  /**
   * A query the cache may answer: not a mutation or subscription, no introspection, and no
   * field or type whose TTL is 0 (the feed, presence).
   */
  readonly cacheable: boolean;
  /**
   * Selects a field whose value depends on who asks (tagged viewer-dependent by its
   * subgraph: `email`, `likedByViewer`, `me`, `conversations`, …), or one that `@authenticated`
   * guards: cached per viewer and never served to another (a hit skips the access check, so a
   * signed-out request must never find a signed-in one's answer). Everything else is public and
   * shared by all viewers.
   */
  readonly perViewer: boolean;
  /**
   * The object types the operation can return, by name. A cached response is indexed under
   * them even when its lists came back empty: a mutation that touches `PostConnection` (a new
   * post) must reach the cached empty result of a hashtag the post is the first to use.
   */
  readonly types: readonly string[];
  /**
   * The smallest TTL among the fields it selects (`User.online`) and the types they return
   * (`User`), if any has one; the types of the objects in its result may lower it further.
   */
  readonly ttlSeconds: number | undefined;
}

const NOT_CACHEABLE: CachePolicy = Object.freeze({ cacheable: false, perViewer: false, types: [], ttlSeconds: undefined });

/**
 * Decides the policy of each (document, operation) once per schema, from the fields it selects:
 * parsed documents are reused by Yoga's parse cache, so this is a WeakMap hit on the hot path. A
 * reloaded supergraph is a new schema, with its own viewer-dependent fields.
 */
export function createCachePolicy(options: {
  /** `Type.field` of every field tagged viewer-dependent in the supergraph that `schema` is the public schema of. */
  viewerDependentFields: (schema: GraphQLSchema) => ReadonlySet<string>;
  /** Seconds per type name or `Type.field`; 0 means never cached. */
  ttlSeconds: Readonly<Record<string, number>>;
  /** The `@authenticated` and `@requiresScopes` of the supergraph `schema` is the public schema of. */
  accessOf?: (schema: GraphQLSchema) => AccessRequirements;
}): (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined) => CachePolicy {
  const neverCached = new Set(Object.entries(options.ttlSeconds).flatMap(([name, ttl]) => (ttl === 0 ? [name] : [])));
  const decided = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, CachePolicy>>>();

  return (schema, document, operationName) => {
    let bySchema = decided.get(schema);
    if (bySchema === undefined) {
      bySchema = new WeakMap();
      decided.set(schema, bySchema);
    }
    let byOperation = bySchema.get(document);
    if (byOperation === undefined) {
      byOperation = new Map();
      bySchema.set(document, byOperation);
    }
    const name = operationName ?? '';
    let policy = byOperation.get(name);
    if (policy === undefined) {
      policy = decide(schema, document, operationName);
      byOperation.set(name, policy);
    }
    return policy;
  };

  function decide(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CachePolicy {
    if (getOperationAST(document, operationName)?.operation !== 'query') return NOT_CACHEABLE;
    const { coordinates, returnTypes } = selectedFields(schema, document);
    for (const coordinate of coordinates) {
      if (coordinate.startsWith('Query.__') || neverCached.has(coordinate)) return NOT_CACHEABLE;
    }
    for (const type of returnTypes) {
      if (neverCached.has(type)) return NOT_CACHEABLE;
    }
    let ttlSeconds: number | undefined;
    for (const name of [...coordinates, ...returnTypes]) {
      const ttl = options.ttlSeconds[name];
      if (ttl !== undefined) ttlSeconds = Math.min(ttl, ttlSeconds ?? ttl);
    }
    const access = options.accessOf === undefined ? 'none' : accessNeeded(schema, coordinates, options.accessOf(schema));
    // Scopes ride on each token, not on the viewer a per-viewer key names: never cached.
    if (access === 'scopes') return NOT_CACHEABLE;
    const viewerDependent = options.viewerDependentFields(schema);
    return {
      cacheable: true,
      perViewer: access === 'viewer' || [...coordinates].some((coordinate) => viewerDependent.has(coordinate)),
      types: [...returnTypes],
      ttlSeconds,
    };
  }
}

/**
 * What reading `coordinates` needs by the supergraph's access requirements: nothing, a signed-in
 * viewer (`@authenticated`), or scopes (`@requiresScopes`), on the field, its parent type or the
 * type it returns (scalars and enums included).
 */
function accessNeeded(
  schema: GraphQLSchema,
  coordinates: Iterable<string>,
  access: AccessRequirements,
): 'none' | 'viewer' | 'scopes' {
  if (access.fields.size === 0 && access.types.size === 0) return 'none';
  let needed: 'none' | 'viewer' = 'none';
  for (const coordinate of coordinates) {
    const [typeName = '', fieldName = ''] = coordinate.split('.');
    const parent = schema.getType(typeName);
    const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[fieldName] : undefined;
    const returned = field === undefined ? undefined : getNamedType(field.type).name;
    for (const requirement of [
      access.fields.get(coordinate),
      access.types.get(typeName),
      returned === undefined ? undefined : access.types.get(returned),
    ]) {
      if (requirement === undefined) continue;
      if (requirement.scopeSets !== undefined) return 'scopes';
      if (requirement.authenticated) needed = 'viewer';
    }
  }
  return needed;
}
