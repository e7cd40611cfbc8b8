import { primedConnection, readPageArgs } from '../../../lib/kernel/pagination.js';
import type { ConversationRow } from '../db/tables.js';
import type { ConversationResolvers } from '../generated/resolvers-types.js';
import type { MessagesLoaders } from '../loaders.js';
import type { ConversationValue } from '../mappers.js';

/** Fields of Conversation. Every route to a conversation goes through the viewer-scoped loader. */
export const Conversation: ConversationResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.conversationById.load(reference.id),
  id: (conversation) => conversation.id,
  title: async (conversation, _args, { loaders }) => (await rowOf(conversation, loaders)).title,
  isGroup: async (conversation, _args, { loaders }) => (await rowOf(conversation, loaders)).is_group,
  members: async (conversation, _args, { loaders }) => (await loaders.memberIds.load(conversation.id)).map((id) => ({ id })),
  async lastMessage(conversation, _args, { loaders }) {
    if ((await rowOf(conversation, loaders)).last_seq === 0) return null;
    const [newest] = await loaders.messagesPage(1, null).load(conversation.id);
    return newest ?? null;
  },
  unreadCount: (conversation, _args, { loaders }) => loaders.unreadCount.load(conversation.id),
  async messages(conversation, args, { loaders }) {
    const { first, after } = readPageArgs(args, parseSeqCursor);
    const rows = await loaders.messagesPage(first, after).load(conversation.id);
    return primedConnection(rows, first, (row) => [row.seq], loaders.messageById);
  },
  createdAt: async (conversation, _args, { loaders }) => (await rowOf(conversation, loaders)).created_at,
  updatedAt: async (conversation, _args, { loaders }) => (await rowOf(conversation, loaders)).updated_at,
};

/**
 * The conversation's row: the value itself, or for a key (Message.conversation) the row through
 * the viewer-scoped loader, one statement for every key of the request.
 */
async function rowOf(conversation: ConversationValue, loaders: MessagesLoaders): Promise<ConversationRow> {
  if ('is_group' in conversation) return conversation;
  const row = await loaders.conversationById.load(conversation.id);
  // A key comes only from a message the viewer may see, so the conversation is theirs too.
  if (row === null) throw new Error(`conversation ${conversation.id} not visible for a visible message`);
  return row;
}

function parseSeqCursor(values: unknown[]): number | null {
  const [seq] = values;
  if (values.length !== 1 || typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return null;
  return seq;
}
