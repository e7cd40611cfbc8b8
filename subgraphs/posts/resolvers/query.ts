import { requireViewer } from '../../../lib/kernel/errors.js';
import { parseTimeIdCursor, readPageArgs, toConnection } from '../../../lib/kernel/pagination.js';
import { parseInput } from '../../../lib/kernel/validation.js';
import type { PostsServices } from '../context.js';
import { pageFeed, pagePostsByHashtag, type SearchCursor, searchPosts, trendingHashtags } from '../db/post.repository.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { normalizeHashtag } from '../services/hashtags.js';
import { HashtagInput, SearchPostsInput, TrendingInput } from '../validation.js';
import { postConnection } from './connection.js';

export const Query: QueryResolvers = {
  post: (_parent, { id }, { loaders }) => loaders.postById.load(id),

  async feed(_parent, args, { viewer, loaders, services }) {
    const { id } = requireViewer(viewer);
    const { first, after } = readPageArgs(args, parseTimeIdCursor);
    const rows = await pageFeed(services.db, { viewerId: id, after, limit: first + 1 });
    return postConnection(rows, first, loaders);
  },

  async searchPosts(_parent, args, { loaders, services }) {
    const { query } = parseInput(SearchPostsInput, args);
    const { first, after } = readPageArgs(args, parseSearchCursor);
    const rows = await searchPosts(services.db, { query, after, limit: first + 1 });
    return toConnection(
      rows,
      first,
      (row) => [row.rank, row.created_at.toISOString(), row.id],
      (row) => {
        loaders.postById.prime(row.id, row);
        return row;
      },
    );
  },

  async postsByHashtag(_parent, args, { loaders, services }) {
    const { tag } = parseInput(HashtagInput, args);
    const { first, after } = readPageArgs(args, parseTimeIdCursor);
    const rows = await pagePostsByHashtag(services.db, { tag: normalizeHashtag(tag), after, limit: first + 1 });
    return postConnection(rows, first, loaders);
  },

  async trendingHashtags(_parent, args, { services }) {
    const { limit } = parseInput(TrendingInput, { limit: args.limit ?? 10 });
    const key = `${services.cacheNamespace}:posts:trending:${limit}`;
    const cached = await readCache(services, key);
    if (cached !== null) return cached;
    const rows = await trendingHashtags(services.db, limit);
    const trends = rows.map((row) => ({ tag: row.tag, postsCount: row.posts_count }));
    await services.cache.set(key, JSON.stringify(trends), services.trendingTtlSeconds).catch((error: unknown) => {
      services.logger.warn({ err: error }, 'could not cache trending hashtags');
    });
    return trends;
  },
};

/** A cache failure is a miss: trending must still answer when Redis does not. */
async function readCache(services: PostsServices, key: string): Promise<{ tag: string; postsCount: number }[] | null> {
  try {
    const value = await services.cache.get(key);
    return value === null ? null : (JSON.parse(value) as { tag: string; postsCount: number }[]);
  } catch (error) {
    services.logger.warn({ err: error }, 'trending cache read failed');
    return null;
  }
}

function parseSearchCursor(values: unknown[]): SearchCursor | null {
  const [rank, ...rest] = values;
  const timeId = parseTimeIdCursor(rest);
  return typeof rank === 'number' && Number.isFinite(rank) && timeId !== null ? { rank, ...timeId } : null;
}
