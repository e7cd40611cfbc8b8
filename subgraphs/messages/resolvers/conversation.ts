import { readPageArgs, toConnection } from '../../../lib/pagination.js';
import type { ConversationResolvers } from '../generated/resolvers-types.js';

/** Fields of Conversation. Every route to a conversation goes through the viewer-scoped loader. */
export const Conversation: ConversationResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.conversationById.load(reference.id),
  id: (conversation) => conversation.id,
  title: (conversation) => conversation.title,
  isGroup: (conversation) => conversation.is_group,
  members: async (conversation, _args, { loaders }) => (await loaders.memberIds.load(conversation.id)).map((id) => ({ id })),
  async lastMessage(conversation, _args, { loaders }) {
    if (conversation.last_seq === 0) return null;
    const [newest] = await loaders.messagesPage(1, null).load(conversation.id);
    return newest ?? null;
  },
  unreadCount: (conversation, _args, { loaders }) => loaders.unreadCount.load(conversation.id),
  async messages(conversation, args, { loaders }) {
    const { first, after } = readPageArgs(args, parseSeqCursor);
    const rows = await loaders.messagesPage(first, after).load(conversation.id);
    return toConnection(
      rows,
      first,
      (row) => [row.seq],
      (row) => {
        loaders.messageById.prime(row.id, row);
        return row;
      },
    );
  },
  createdAt: (conversation) => conversation.created_at,
  updatedAt: (conversation) => conversation.updated_at,
};

function parseSeqCursor(values: unknown[]): number | null {
  const [seq] = values;
  if (values.length !== 1 || typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return null;
  return seq;
}
