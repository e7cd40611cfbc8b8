import { parseTimeIdCursor, readPageArgs } from '../../../lib/kernel/pagination.js';
import type { UserResolvers } from '../generated/resolvers-types.js';
import { postConnection } from './connection.js';

/** The fields this subgraph contributes to User. */
export const User: UserResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  id: (user) => user.id,
  postsCount: (user, _args, { loaders }) => loaders.postsCount.load(user.id),
  async posts(user, args, { loaders }) {
    const { first, after } = readPageArgs(args, parseTimeIdCursor);
    const rows = await loaders.postsPage(first, after).load(user.id);
    return postConnection(rows, first, loaders);
  },
};
