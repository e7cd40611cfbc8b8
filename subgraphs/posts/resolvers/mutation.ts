import { asViewerWrite } from '../../../lib/infra/db/errors.js';
import { ForbiddenError, NotFoundError, requireViewer } from '../../../lib/kernel/errors.js';
import { isUuid } from '../../../lib/kernel/ids.js';
import { parseInput } from '../../../lib/kernel/validation.js';
import type { Context } from '../context.js';
import { setLike } from '../db/like.repository.js';
import { deletePostByAuthor, insertPost, postExists } from '../db/post.repository.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { extractHashtags } from '../services/hashtags.js';
import { CreatePostInput } from '../validation.js';

const NO_SUCH_POST = 'No post with this id.';

export const Mutation: MutationResolvers = {
  async createPost(_parent, args, { viewer, db, loaders, touched }) {
    const { id } = requireViewer(viewer);
    const { content } = parseInput(CreatePostInput, args);
    const post = await asViewerWrite(insertPost(db, { authorId: id, content, hashtags: extractHashtags(content) }));
    loaders.postById.prime(post.id, post);
    loaders.postsCount.clear(id);
    // The author's postsCount, and every list of posts the new one may now belong in.
    touched.add('Post', post.id).add('User', id).add('PostConnection');
    return post;
  },

  async deletePost(_parent, { id }, { viewer, db, loaders, touched }) {
    const viewerId = requireViewer(viewer).id;
    if (!isUuid(id)) throw new NotFoundError(NO_SUCH_POST);
    if (await deletePostByAuthor(db, id, viewerId)) {
      loaders.postById.clear(id);
      loaders.postsCount.clear(viewerId);
      touched.add('Post', id).add('User', viewerId).add('PostConnection');
      return id;
    }
    if (await postExists(db, id)) throw new ForbiddenError('Only the author can delete a post.');
    throw new NotFoundError(NO_SUCH_POST);
  },

  likePost: (_parent, { id }, context) => changeLike(context, id, true),
  unlikePost: (_parent, { id }, context) => changeLike(context, id, false),
};

async function changeLike({ viewer, db, loaders, touched }: Context, postId: string, liked: boolean) {
  const { id: userId } = requireViewer(viewer);
  const post = isUuid(postId) ? await asViewerWrite(setLike(db, { postId, userId, liked })) : undefined;
  if (post === undefined) throw new NotFoundError(NO_SUCH_POST);
  loaders.postById.clear(post.id).prime(post.id, post);
  loaders.likedByViewer?.clear(post.id).prime(post.id, liked);
  touched.add('Post', post.id);
  return post;
}
