import { requireViewer } from '../../../lib/kernel/errors.js';
import { parseTimeIdCursor, primedConnection, readPageArgs } from '../../../lib/kernel/pagination.js';
import { parseInput } from '../../../lib/kernel/validation.js';
import { pageFeed, pagePostsByHashtag, type SearchCursor, searchPosts } from '../db/post.repository.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { normalizeHashtag } from '../services/hashtags.js';
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

  async searchPosts(_parent, args, { loaders, db }) {
    const { query } = parseInput(SearchPostsInput, args);
    const { first, after } = readPageArgs(args, parseSearchCursor);
    const rows = await searchPosts(db, { query, after, limit: first + 1 });
    return primedConnection(rows, first, (row) => [row.rank, row.created_at.toISOString(), row.id], loaders.postById);
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

function parseSearchCursor(values: unknown[]): SearchCursor | null {
  const [rank, ...rest] = values;
  const timeId = parseTimeIdCursor(rest);
  return typeof rank === 'number' && Number.isFinite(rank) && timeId !== null ? { rank, ...timeId } : null;
}
