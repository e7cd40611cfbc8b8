import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { KeyValueStore } from '../../lib/infra/key-value-store.js';
import { findOnlineUsers } from '../../lib/infra/presence.js';
import { groupRows, matchRows } from '../../lib/kernel/grouping.js';
import { isUuid, lowerCased } from '../../lib/kernel/ids.js';
import type { Logger } from '../../lib/kernel/logger.js';
import type { MakeLoader } from '../../lib/service/batch-loaders.js';
import {
  countFollows,
  type FollowCounts,
  type FollowEdgeRow,
  findFollowedAmong,
  pageFollowEdges,
} from './db/follow.repository.js';
import type { UserRow, UsersDatabase } from './db/tables.js';
import { findUsersByIds, findUsersByIdsFollowedBy } from './db/user.repository.js';

/**
 * Per-request DataLoaders of the users subgraph. Created once per request (never shared
 * between viewers); each batch is one SQL statement whose results come back in key order.
 */
export interface UsersLoaders {
  userById: DataLoader<string, UserRow | null>;
  followCounts: DataLoader<string, FollowCounts>;
  /** Whether the viewer follows a user; only built for a signed-in viewer. */
  followedByViewer: DataLoader<string, boolean> | null;
  online: DataLoader<string, boolean>;
  /** One page of followers/following per user, batched across users that ask for the same page. */
  followEdgePage(
    direction: 'followers' | 'following',
    first: number,
    after: { at: Date; id: string } | null,
  ): DataLoader<string, FollowEdgeRow[]>;
}

export function createLoaders(
  makeLoader: MakeLoader,
  db: Kysely<UsersDatabase>,
  store: KeyValueStore,
  viewerId: string | null,
  logger: Logger,
): UsersLoaders {
  const followCounts = makeLoader<string, FollowCounts>('followCounts', async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length === 0 ? [] : await countFollows(db, valid);
    return matchRows(
      ids,
      rows,
      (row) => row.id,
      (id) => ({ id, followers: 0, following: 0 }),
    );
  });

  const followedByViewer =
    viewerId === null
      ? null
      : makeLoader<string, boolean>('followedByViewer', async (ids) => {
          const valid = ids.filter(isUuid);
          const followed = new Set(valid.length === 0 ? [] : await findFollowedAmong(db, viewerId, valid));
          return ids.map((id) => followed.has(id));
        });

  const userById = makeLoader<string, UserRow | null>('userById', async (ids) => {
    const valid = ids.filter(isUuid);
    let rows: UserRow[] = [];
    if (valid.length > 0 && viewerId !== null) {
      // With the viewer's follows: the author line's isFollowedByViewer then costs no statement of its own.
      const found = await findUsersByIdsFollowedBy(db, valid, viewerId);
      for (const { followed_by_viewer, ...row } of found) {
        followedByViewer?.prime(row.id, followed_by_viewer);
        rows.push(row);
      }
    } else if (valid.length > 0) {
      rows = await findUsersByIds(db, valid);
    }
    // UUIDs come in any case; the database gives them lower-cased.
    return matchRows(
      lowerCased(ids),
      rows,
      (row) => row.id,
      () => null,
    );
  });

  const online = makeLoader<string, boolean>('online', async (ids) => {
    const onlineIds = await findOnlineUsers(store, ids, logger);
    return ids.map((id) => onlineIds.has(id));
  });

  const edgePages = new Map<string, DataLoader<string, FollowEdgeRow[]>>();
  function followEdgePage(direction: 'followers' | 'following', first: number, after: { at: Date; id: string } | null) {
    const key = `${direction}|${first}|${after?.at.toISOString() ?? ''}|${after?.id ?? ''}`;
    let loader = edgePages.get(key);
    if (loader === undefined) {
      loader = makeLoader<string, FollowEdgeRow[]>('followEdgePage', async (userIds) => {
        // One row more than asked tells the connection whether a next page exists.
        const valid = userIds.filter(isUuid);
        const rows = valid.length === 0 ? [] : await pageFollowEdges(db, { direction, userIds: valid, after, limit: first + 1 });
        return groupRows(userIds, rows, (row) => row.parent_id);
      });
      edgePages.set(key, loader);
    }
    return loader;
  }

  return { userById, followCounts, followedByViewer, online, followEdgePage };
}
