import { type ExecutionResult, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * An entity a write changed, as the gateway's response cache names it: `{ typename: 'Post',
 * id }` for one post (its likesCount, its author's postsCount), or `{ typename:
 * 'PostConnection' }` without an id for every cached list of that type (a new post belongs in
 * lists that did not contain it before, so no id of theirs can name them).
 */
export interface TouchedEntity {
  readonly typename: string;
  readonly id?: string;
}

/**
 * The response extension in which a subgraph tells the gateway what its mutation touched.
 * Only the subgraph that owns the data knows every side effect of a write (following someone
 * changes the follower's followingCount too), so it says so, and the gateway invalidates them
 * before it answers the mutation. The gateway does not forward subgraph extensions to clients.
 * A mutation's answer always carries it, empty when nothing cached was touched: a subgraph whose
 * mutation answers without it is one that does not say, and the gateway's entity cache then
 * drops everything (gateway/entity-cache/unreported-writes.ts).
 */
export const TOUCHED_ENTITIES_EXTENSION = 'touchedEntities';

/** What one request's mutations touched; resolvers add to it, the subgraph reports it. */
export class TouchedEntities {
  readonly #entities = new Map<string, TouchedEntity>();

  add(typename: string, id?: string): this {
    this.#entities.set(id === undefined ? typename : `${typename}:${id}`, id === undefined ? { typename } : { typename, id });
    return this;
  }

  /** Adds entities a subgraph reported, ignoring anything that is not shaped like one. */
  addReported(reported: unknown): void {
    if (!Array.isArray(reported)) return;
    for (const entity of reported as unknown[]) {
      const { typename, id } = (entity ?? {}) as { typename?: unknown; id?: unknown };
      if (typeof typename !== 'string' || typename === '') continue;
      this.add(typename, typeof id === 'string' ? id : undefined);
    }
  }

  get size(): number {
    return this.#entities.size;
  }

  list(): TouchedEntity[] {
    return [...this.#entities.values()];
  }
}

/** A subgraph's context carries the request's TouchedEntities. */
export interface TouchingContext {
  readonly touched: TouchedEntities;
}

/** Subgraph plugin: puts what the request's resolvers touched into the response's extensions (always for a mutation). */
export function useTouchedEntitiesExtension(): Plugin<TouchingContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const touched = args.contextValue.touched;
          if (touched === undefined || Symbol.asyncIterator in result) return;
          const mutation = getOperationAST(args.document, args.operationName)?.operation === 'mutation';
          if (touched.size === 0 && !mutation) return;
          const single = result as ExecutionResult;
          setResult({ ...single, extensions: { ...single.extensions, [TOUCHED_ENTITIES_EXTENSION]: touched.list() } });
        },
      };
    },
  };
}
