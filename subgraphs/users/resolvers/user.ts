import { parseTimeIdCursor, primedConnection, readPageArgs } from '../../../lib/kernel/pagination.js';
import type { Context } from '../context.js';
import type { UserResolvers } from '../generated/resolvers-types.js';

/** Fields of User. Counts, follow state, presence and pages all go through per-request loaders. */
export const User: UserResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.userById.load(reference.id),
  id: (user) => user.id,
  username: (user) => user.username,
  displayName: (user) => user.display_name,
  email: (user, _args, { viewer }) => (viewer?.id === user.id || user.signedInAs === true ? user.email : null),
  university: (user) => user.university,
  bio: (user) => user.bio,
  avatarUrl: (user) => user.avatar_url,
  createdAt: (user) => user.created_at,
  followersCount: async (user, _args, { loaders }) => (await loaders.followCounts.load(user.id)).followers,
  followingCount: async (user, _args, { loaders }) => (await loaders.followCounts.load(user.id)).following,
  isFollowedByViewer: (user, _args, { loaders }) => loaders.followedByViewer?.load(user.id) ?? false,
  online: (user, _args, { loaders }) => loaders.online.load(user.id),
  followers: (user, args, context) => followPage('followers', user.id, args, context),
  following: (user, args, context) => followPage('following', user.id, args, context),
};

async function followPage(
  direction: 'followers' | 'following',
  userId: string,
  args: { first?: number | null; after?: string | null },
  { loaders }: Context,
) {
  const { first, after } = readPageArgs(args, parseTimeIdCursor);
  const rows = await loaders.followEdgePage(direction, first, after).load(userId);
  return primedConnection(rows, first, (row) => [row.followed_at.toISOString(), row.id], loaders.userById);
}
