import type { Kysely } from 'kysely';
import type { PostsServices } from '../context.js';
import { trendingHashtags } from '../db/post.repository.js';
import type { PostsDatabase } from '../db/tables.js';

export interface HashtagTrend {
  readonly tag: string;
  readonly postsCount: number;
}

/**
 * The most used hashtags of the last day, computed once per `trendingTtlSeconds` and shared
 * through the key-value store by every instance. A store failure is a miss: trending still
 * answers when Redis does not. `db`: the operation's (a replica serves it well: it is a day's aggregate).
 */
export async function cachedTrendingHashtags(
  services: PostsServices,
  db: Kysely<PostsDatabase>,
  limit: number,
): Promise<HashtagTrend[]> {
  const key = `${services.cacheNamespace}:posts:trending:${limit}`;
  const cached = await readTrends(services, key);
  if (cached !== null) return cached;
  const rows = await trendingHashtags(db, limit);
  const trends = rows.map((row) => ({ tag: row.tag, postsCount: row.posts_count }));
  await services.store.set(key, JSON.stringify(trends), services.trendingTtlSeconds).catch((error: unknown) => {
    services.logger.warn({ err: error }, 'could not cache trending hashtags');
  });
  return trends;
}

async function readTrends(services: PostsServices, key: string): Promise<HashtagTrend[] | null> {
  try {
    const value = await services.store.get(key);
    return value === null ? null : (JSON.parse(value) as HashtagTrend[]);
  } catch (error) {
    services.logger.warn({ err: error }, 'trending cache read failed');
    return null;
  }
}
