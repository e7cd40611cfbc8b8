import type { PostResolvers } from '../generated/resolvers-types.js';

/** Fields of Post. `likesCount` is a column kept exact by the like statements; `author` is a reference the gateway resolves. */
export const Post: PostResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.postById.load(reference.id),
  id: (post) => post.id,
  author: (post) => ({ id: post.author_id }),
  content: (post) => post.content,
  hashtags: (post) => post.hashtags,
  likesCount: (post) => post.likes_count,
  likedByViewer: (post, _args, { loaders }) => loaders.likedByViewer?.load(post.id) ?? false,
  createdAt: (post) => post.created_at,
};
