import { ForbiddenError, requireViewer } from '../../../lib/kernel/errors.js';
import { isUuid } from '../../../lib/kernel/ids.js';
import { parseTimeIdCursor, primedConnection, readPageArgs } from '../../../lib/kernel/pagination.js';
import { conversationExists, pageConversations } from '../db/conversation.repository.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  async conversations(_parent, args, { viewer, loaders, db }) {
    const { id } = requireViewer(viewer);
    const { first, after } = readPageArgs(args, parseTimeIdCursor);
    const rows = await pageConversations(db, { userId: id, after, limit: first + 1 });
    return primedConnection(rows, first, (row) => [row.updated_at.toISOString(), row.id], loaders.conversationById);
  },

  async conversation(_parent, { id }, { viewer, loaders, db }) {
    requireViewer(viewer);
    const conversation = await loaders.conversationById.load(id);
    if (conversation !== null) return conversation;
    if (isUuid(id) && (await conversationExists(db, id))) throw new ForbiddenError('Only members can see this conversation.');
    return null;
  },
};
