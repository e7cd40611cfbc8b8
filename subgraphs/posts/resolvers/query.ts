import { requireViewer } from '../../../lib/kernel/errors.js';
import { parseTimeIdCursor, primedConnection, readPageArgs } from '../../../lib/kernel/pagination.js';
import { parseInput } from '../../../lib/kernel/validation.js';
import { pageFeed, pagePostsByHashtag, type RankedPostRow } from '../db/post.repository.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { normalizeHashtag } from '../services/hashtags.js';
import { type SearchCursor, searchPosts } from '../services/search-posts.js';
import { cachedTrendingHashtags } from '../services/trending-hashtags.js';
import { HashtagInput, SearchPostsInput, TrendingInput } from '../validation.js';
import { postConnection } from './connection.js';

export const Query: QueryResolvers = {
  post: (_parent, { id }, { loaders }) => loaders.postById.load(id),

  async feed(_parent, args, { viewer, loaders, db }) {
    const { id } = requireViewer(viewer);
    const { first, after } = readPageArgs(args, parseTimeIdCursor);
    const rows = await pageFeed(db, { viewerId: id, after, limit: first + 1 });
    return postConnection(rows, first, loaders);
  },

  async searchPosts(_parent, args, { loaders, db, services }) {
    const { query } = parseInput(SearchPostsInput, args);
    const { first, after } = readPageArgs(args, parseSearchCursor);
    const rows = await searchPosts(db, { query, after, limit: first + 1, windowSize: services.searchWindowSize });
    return primedConnection(rows, first, searchCursorOf, loaders.postById);
  },

  async postsByHashtag(_parent, args, { loaders, db }) {
    const { tag } = parseInput(HashtagInput, args);
    const { first, after } = readPageArgs(args, parseTimeIdCursor);
    const rows = await pagePostsByHashtag(db, { tag: normalizeHashtag(tag), after, limit: first + 1 });
    return postConnection(rows, first, loaders);
  },

  async trendingHashtags(_parent, args, { services, db }) {
    const { limit } = parseInput(TrendingInput, { limit: args.limit ?? 10 });
    return cachedTrendingHashtags(services, db, limit);
  },
};

/** (rank, time, id) of the post, then its window's top (time, id) and, unless it is the last window, bottom. */
function searchCursorOf(row: RankedPostRow): (string | number)[] {
  const { top, bottom } = row.window;
  const bounds = [top.at.toISOString(), top.id, ...(bottom === null ? [] : [bottom.at.toISOString(), bottom.id])];
  return [row.rank, row.created_at.toISOString(), row.id, ...bounds];
}

/** The cursor searchCursorOf writes; also (rank, time, id) alone, as cursors were before windows. */
function parseSearchCursor(values: unknown[]): SearchCursor | null {
  const [rank, at, id, ...bounds] = values;
  const position = parseTimeIdCursor([at, id]);
  if (typeof rank !== 'number' || !Number.isFinite(rank) || position === null) return null;
  if (bounds.length === 0) return { rank, ...position, window: null };
  const top = parseTimeIdCursor(bounds.slice(0, 2));
  const bottom = bounds.length === 4 ? parseTimeIdCursor(bounds.slice(2)) : null;
  if (top === null || (bounds.length !== 2 && bottom === null)) return null;
  return { rank, ...position, window: { top, bottom } };
}
