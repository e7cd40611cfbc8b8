import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import { AccountGoneError } from '../lib/kernel/errors.js';
import type { Logger } from '../lib/kernel/logger.js';
import type { Viewer } from '../lib/kernel/tokens.js';

/** Which of these user ids are accounts that exist now (asked of the users subgraph). */
export type AccountLookup = (ids: readonly string[]) => Promise<ReadonlySet<string>>;

/** How long an answer is trusted: a removed account's token works this long at most for reads. */
const EXISTING_TTL_MS = 60_000;
/** Short, so an account registered just now is never refused for long. */
const MISSING_TTL_MS = 5_000;
const ACCOUNTS_KEPT = 50_000;

/**
 * A signed token proves who issued it, not that its account still exists: a removed account's
 * token (or one signed for an id that never was an account) must not act. The gateway asks the
 * users subgraph once per account a minute, batched across concurrent requests, and refuses the
 * viewer with UNAUTHENTICATED when the account is gone. Writes are also guarded by the database
 * (every user id column references users.users), so the minute a removal takes to be seen here
 * lets no row point at a missing account.
 *
 * When the users subgraph cannot answer, the token is trusted as before (logged): an outage of
 * one subgraph must not sign everyone out of the others.
 */
export class ViewerAccounts {
  readonly #known = new LRUCache<string, boolean>({ max: ACCOUNTS_KEPT, ttlAutopurge: false });
  readonly #loader: DataLoader<string, boolean>;
  readonly #logger: Logger;
  #lastFailureLog = 0;

  constructor(lookup: AccountLookup, logger: Logger) {
    this.#logger = logger;
    this.#loader = new DataLoader<string, boolean>(
      async (ids) => {
        const existing = await lookup(ids);
        return ids.map((id) => existing.has(id));
      },
      { cache: false, maxBatchSize: 100 },
    );
  }

  /** The viewer as it is when its account exists; UNAUTHENTICATED when it does not. */
  async requireExisting(viewer: Viewer | null): Promise<Viewer | null> {
    if (viewer === null) return null;
    const known = this.#known.get(viewer.id);
    if (known === true) return viewer;
    if (known === false) throw new AccountGoneError();
    let exists: boolean;
    try {
      exists = await this.#loader.load(viewer.id);
    } catch (error) {
      this.#logFailure(error);
      return viewer;
    }
    this.#known.set(viewer.id, exists, { ttl: exists ? EXISTING_TTL_MS : MISSING_TTL_MS });
    if (!exists) throw new AccountGoneError();
    return viewer;
  }

  #logFailure(error: unknown): void {
    const now = Date.now();
    if (now - this.#lastFailureLog < 10_000) return;
    this.#lastFailureLog = now;
    this.#logger.warn({ err: error }, 'could not check that viewers exist (users subgraph); trusting their tokens meanwhile');
  }
}

/** The `_entities` fetch that tells which user ids the users subgraph resolves. */
export const USER_ENTITIES_QUERY = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }';

export function existingIdsFrom(ids: readonly string[], data: unknown): Set<string> {
  const entities = (data as { _entities?: unknown } | null | undefined)?._entities;
  if (!Array.isArray(entities) || entities.length !== ids.length) throw new Error('users subgraph: malformed _entities answer');
  const existing = new Set<string>();
  entities.forEach((entity: { id?: unknown } | null, index) => {
    if (entity !== null && entity.id === ids[index]) existing.add(ids[index] as string);
  });
  return existing;
}
