import { BadUserInputError, requireViewer } from '../../../lib/kernel/errors.js';
import { primedConnection, readFirst, readPageArgs } from '../../../lib/kernel/pagination.js';
import { parseInput } from '../../../lib/kernel/validation.js';
import { findFollowingIds } from '../db/follow.repository.js';
import type { UserRow } from '../db/tables.js';
import { escapeLike, findUserByUsername, searchUsersByPrefix } from '../db/user.repository.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { SearchUsersInput } from '../validation.js';

/** How many followings `onlineUsers` checks for presence: the most recently followed ones. */
const ONLINE_CANDIDATES = 5000;

export const Query: QueryResolvers = {
  me: (_parent, _args, { viewer, loaders }) => (viewer === null ? null : loaders.userById.load(viewer.id)),

  async user(_parent, { id, username }, { loaders, db }) {
    const hasId = id !== null && id !== undefined;
    const hasUsername = username !== null && username !== undefined;
    if (hasId === hasUsername) throw new BadUserInputError('Give exactly one of "id" and "username".', hasId ? 'username' : 'id');
    if (hasId) return loaders.userById.load(id);
    const row = await findUserByUsername(db, (username ?? '').trim());
    if (row !== undefined) loaders.userById.prime(row.id, row);
    return row ?? null;
  },

  async searchUsers(_parent, args, { loaders, db }) {
    const { query, university } = parseInput(SearchUsersInput, args);
    const { first, after } = readPageArgs(args, ([username]) => (typeof username === 'string' ? username : null));
    const rows = await searchUsersByPrefix(db, {
      prefix: escapeLike(query.toLowerCase()),
      university: university ?? null,
      afterUsername: after,
      limit: first + 1,
    });
    return primedConnection(rows, first, (row) => [row.username], loaders.userById);
  },

  async onlineUsers(_parent, { first }, { viewer, loaders, db }) {
    const { id } = requireViewer(viewer);
    const limit = readFirst(first);
    const followingIds = await findFollowingIds(db, id, ONLINE_CANDIDATES);
    const online = await loaders.online.loadMany(followingIds);
    const onlineIds = followingIds.filter((_, index) => online[index] === true).slice(0, limit);
    const users = await loaders.userById.loadMany(onlineIds);
    return users.filter((user): user is UserRow => user !== null && !(user instanceof Error));
  },
};
