import type { Migration } from 'kysely';
import * as postsLikesHashtags from './2026_11_25_0001_posts_likes_hashtags.js';
import * as userReferences from './2026_12_02_0001_user_references.js';
import * as postSearch from './2026_12_02_0002_post_search.js';

/** Every migration of the posts schema, by name; names sort in the order they run. */
export const migrations: Record<string, Migration> = {
  '2026_11_25_0001_posts_likes_hashtags': postsLikesHashtags,
  '2026_12_02_0001_user_references': userReferences,
  '2026_12_02_0002_post_search': postSearch,
};
