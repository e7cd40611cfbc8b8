import { type DocumentNode, getOperationAST, type OperationTypeNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { PoolName } from '../infra/db/database.js';
import type { KeyValueStore } from '../infra/key-value-store.js';
import type { Logger } from '../kernel/logger.js';
import type { Viewer } from '../kernel/tokens.js';

/**
 * The one place that decides which database an operation's statements go to when there is a
 * replica (DATABASE_READ_URL); without one everything runs on the primary. The rule:
 *
 * - a mutation runs on the primary, every statement of it (the reads of its own result too);
 * - a subscription runs on the primary: its events announce a write just made, which resolving
 *   the event reads;
 * - a query runs on the replica, unless its viewer ran a mutation or received their token
 *   (register, login) less than DATABASE_READ_YOUR_WRITES_MS ago: then on the primary, so a
 *   viewer always reads their own writes (their profile right after updateProfile, their post in
 *   their feed, their account right after register). Other viewers may see a write that much later
 *   at most, the replica's lag;
 * - an operation whose request carries `extensions.readFromPrimary: true` runs on the primary:
 *   the gateway's check that a viewer's account exists (gateway/viewer-accounts.ts) must see an
 *   account registered a moment ago. Only the gateway can send it (subgraphs answer signed
 *   requests only), and all it can do is move reads to the primary.
 *
 * "Ran a mutation" is a mark in the key-value store (Redis in a deployment), so every subgraph
 * and every instance sees it: the gateway's entity fetches after a mutation, and the next
 * query landing on another instance. A store that cannot answer counts as "wrote".
 */
export interface ReadRouting {
  /** The pool of one operation; a mutation first marks its viewer as a recent writer. */
  choose(kind: OperationTypeNode | undefined, viewer: Viewer | null, primaryAsked?: boolean): Promise<PoolName>;
}

/** The request extension (`{ "readFromPrimary": true }`) that sends one operation's reads to the primary. */
export const READ_FROM_PRIMARY_EXTENSION = 'readFromPrimary';

/** Whether a request's GraphQL params ask for the primary (READ_FROM_PRIMARY_EXTENSION). */
export function asksForPrimary(params: { extensions?: Record<string, unknown> | undefined } | undefined): boolean {
  return params?.extensions?.[READ_FROM_PRIMARY_EXTENSION] === true;
}

export function createReadRouting(options: {
  hasReplica: boolean;
  store: KeyValueStore;
  /** DATABASE_READ_YOUR_WRITES_MS. */
  windowMs: number;
  /** Prefix of the store's keys (CACHE_NAMESPACE): deployments sharing a Redis keep their own marks. */
  namespace: string;
  logger: Logger;
}): ReadRouting {
  const { store, windowMs, logger } = options;
  const markKey = (viewerId: string) => `${options.namespace}:db-wrote:${viewerId}`;
  // The store's TTL is in whole seconds; the mark's value, the write's time, is exact.
  const ttlSeconds = Math.max(1, Math.ceil(windowMs / 1000));

  async function wroteRecently(viewer: Viewer): Promise<boolean> {
    if (Date.now() - viewer.issuedAt < windowMs) return true;
    try {
      const at = Number(await store.get(markKey(viewer.id)));
      return Number.isFinite(at) && Date.now() - at < windowMs;
    } catch (error) {
      logger.warn({ err: error }, 'read routing: the key-value store did not answer; reading from the primary');
      return true;
    }
  }

  return {
    async choose(kind, viewer, primaryAsked = false) {
      if (!options.hasReplica || primaryAsked) return 'primary';
      if (kind === 'mutation') {
        if (viewer !== null && windowMs > 0) {
          // Marked before the write: the mark must be there when the gateway's entity fetches
          // for this mutation's result arrive, which is as soon as it answers.
          await store.set(markKey(viewer.id), String(Date.now()), ttlSeconds).catch((error: unknown) => {
            logger.warn({ err: error }, 'read routing: could not mark a writer; their next reads may miss this write');
          });
        }
        return 'primary';
      }
      if (kind !== 'query') return 'primary';
      if (viewer !== null && windowMs > 0 && (await wroteRecently(viewer))) return 'primary';
      return 'replica';
    },
  };
}

/** The type of each HTTP request's operation, recorded when Yoga parses it, read by the context factory. */
export function useOperationKinds(): { plugin: Plugin; kindOf(context: object): OperationTypeNode | undefined } {
  const kinds = new WeakMap<object, OperationTypeNode>();
  return {
    plugin: {
      onParse() {
        return ({ result, context }) => {
          if (result === null || result instanceof Error) return;
          const operationName = (context as { params?: { operationName?: string | null } }).params?.operationName;
          const operation = getOperationAST(result as DocumentNode, operationName ?? undefined);
          if (operation !== null && operation !== undefined) kinds.set(context, operation.operation);
        };
      },
    },
    kindOf: (context) => kinds.get(context),
  };
}
