import type { ColumnType, Generated, Selectable } from 'kysely';

/** posts.posts: one row per post. Its search vector lives in posts.post_search. */
export interface PostTable {
  id: Generated<string>;
  author_id: string;
  content: string;
  /** Lower-cased tags without '#', de-duplicated, in order of first use. */
  hashtags: ColumnType<string[], string[] | undefined, never>;
  /** Kept exact by the like/unlike statements themselves (see like.repository.ts). */
  likes_count: ColumnType<number, never, never>;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** posts.post_hashtags: one row per (tag, post), for postsByHashtag and trendingHashtags. */
export interface PostHashtagTable {
  tag: string;
  post_id: string;
  created_at: Date;
}

/**
 * posts.post_search: each post's unaccented 'simple' tsvector, written by triggers on posts.posts
 * (migration 2026_12_02_0002) and only read here, by searchPosts.
 */
export interface PostSearchTable {
  post_id: string;
  created_at: Date;
  search: string;
}

/** posts.likes: one row per (post, user who liked it). */
export interface LikeTable {
  post_id: string;
  user_id: string;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** The read-only view the users subgraph publishes for the feed (users.follow_edges). */
export interface FollowEdgeView {
  follower_id: string;
  followee_id: string;
  created_at: Date;
}

/** The posts subgraph's tables, schema-qualified, plus the one view it may read in another schema. */
export interface PostsDatabase {
  'posts.posts': PostTable;
  'posts.post_hashtags': PostHashtagTable;
  'posts.post_search': PostSearchTable;
  'posts.likes': LikeTable;
  'users.follow_edges': FollowEdgeView;
}

export type PostRow = Selectable<PostTable>;
