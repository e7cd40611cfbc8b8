import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { isUuid } from '../../lib/kernel/ids.js';
import { findLikedAmong } from './db/like.repository.js';
import { countPostsByAuthors, findPostsByIds, pagePostsByAuthors, type TimeIdCursor } from './db/post.repository.js';
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

export function createLoaders(db: Kysely<PostsDatabase>, viewerId: string | null): PostsLoaders {
  const postById = new DataLoader<string, PostRow | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length === 0 ? [] : await findPostsByIds(db, valid);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  });

  const postsCount = new DataLoader<string, number>(async (authorIds) => {
    const valid = authorIds.filter(isUuid);
    const rows = valid.length === 0 ? [] : await countPostsByAuthors(db, valid);
    const byId = new Map(rows.map((row) => [row.author_id, row.count]));
    return authorIds.map((id) => byId.get(id) ?? 0);
  });

  const likedByViewer =
    viewerId === null
      ? null
      : new DataLoader<string, boolean>(async (postIds) => {
          const liked = new Set(await findLikedAmong(db, viewerId, postIds));
          return postIds.map((id) => liked.has(id));
        });

  const pages = new Map<string, DataLoader<string, PostRow[]>>();
  function postsPage(first: number, after: TimeIdCursor | null) {
    const key = `${first}|${after?.at.toISOString() ?? ''}|${after?.id ?? ''}`;
    let loader = pages.get(key);
    if (loader === undefined) {
      loader = new DataLoader<string, PostRow[]>(async (authorIds) => {
        const valid = authorIds.filter(isUuid);
        // One row more than asked tells the connection whether a next page exists.
        const rows = valid.length === 0 ? [] : await pagePostsByAuthors(db, { authorIds: valid, after, limit: first + 1 });
        const byAuthor = new Map<string, PostRow[]>();
        for (const row of rows) byAuthor.set(row.author_id, [...(byAuthor.get(row.author_id) ?? []), row]);
        return authorIds.map((id) => byAuthor.get(id) ?? []);
      });
      pages.set(key, loader);
    }
    return loader;
  }

  return { postById, postsCount, likedByViewer, postsPage };
}
