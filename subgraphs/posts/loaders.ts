import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { groupRows, matchRows } from '../../lib/kernel/grouping.js';
import { isUuid, lowerCased } from '../../lib/kernel/ids.js';
import type { MakeLoader } from '../../lib/service/batch-loaders.js';
import { findLikedAmong } from './db/like.repository.js';
import {
  countPostsByAuthors,
  findPostsByIds,
  findPostsByIdsLikedBy,
  pagePostsByAuthors,
  type TimeIdCursor,
} from './db/post.repository.js';
import type { PostRow, PostsDatabase } from './db/tables.js';

/**
 * Per-request DataLoaders of the posts subgraph. Created once per request (never shared
 * between viewers); each batch is one SQL statement whose results come back in key order.
 */
export interface PostsLoaders {
  postById: DataLoader<string, PostRow | null>;
  postsCount: DataLoader<string, number>;
  /** Whether the viewer likes a post; only built for a signed-in viewer. */
  likedByViewer: DataLoader<string, boolean> | null;
  /** One page of posts per author, batched across authors that ask for the same page. */
  postsPage(first: number, after: TimeIdCursor | null): DataLoader<string, PostRow[]>;
}

export function createLoaders(makeLoader: MakeLoader, db: Kysely<PostsDatabase>, viewerId: string | null): PostsLoaders {
  const postsCount = makeLoader<string, number>('postsCount', async (authorIds) => {
    const valid = authorIds.filter(isUuid);
    const rows = valid.length === 0 ? [] : await countPostsByAuthors(db, valid);
    return matchRows(
      authorIds,
      rows,
      (row) => row.author_id,
      () => ({ count: 0 }),
    ).map((row) => row.count);
  });

  const likedByViewer =
    viewerId === null
      ? null
      : makeLoader<string, boolean>('likedByViewer', async (postIds) => {
          const valid = postIds.filter(isUuid);
          const liked = new Set(valid.length === 0 ? [] : await findLikedAmong(db, viewerId, valid));
          return postIds.map((id) => liked.has(id));
        });

  const postById = makeLoader<string, PostRow | null>('postById', async (ids) => {
    const valid = ids.filter(isUuid);
    let rows: PostRow[] = [];
    if (valid.length > 0 && viewerId !== null) {
      // With the viewer's likes: the post card's likedByViewer then costs no statement of its own.
      const found = await findPostsByIdsLikedBy(db, valid, viewerId);
      for (const { liked_by_viewer, ...row } of found) {
        likedByViewer?.prime(row.id, liked_by_viewer);
        rows.push(row);
      }
    } else if (valid.length > 0) {
      rows = await findPostsByIds(db, valid);
    }
    // UUIDs come in any case; the database gives them lower-cased.
    return matchRows(
      lowerCased(ids),
      rows,
      (row) => row.id,
      () => null,
    );
  });

  const pages = new Map<string, DataLoader<string, PostRow[]>>();
  function postsPage(first: number, after: TimeIdCursor | null) {
    const key = `${first}|${after?.at.toISOString() ?? ''}|${after?.id ?? ''}`;
    let loader = pages.get(key);
    if (loader === undefined) {
      loader = makeLoader<string, PostRow[]>('postsPage', async (authorIds) => {
        const valid = authorIds.filter(isUuid);
        // One row more than asked tells the connection whether a next page exists.
        const rows = valid.length === 0 ? [] : await pagePostsByAuthors(db, { authorIds: valid, after, limit: first + 1 });
        return groupRows(authorIds, rows, (row) => row.author_id);
      });
      pages.set(key, loader);
    }
    return loader;
  }

  return { postById, postsCount, likedByViewer, postsPage };
}
