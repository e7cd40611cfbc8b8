import type { MessageResolvers } from '../generated/resolvers-types.js';

/** Fields of Message. A message reference resolves only for members of its conversation. */
export const Message: MessageResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.messageById.load(reference.id),
  id: (message) => message.id,
  async conversation(message, _args, { loaders }) {
    const conversation = await loaders.conversationById.load(message.conversation_id);
    // Only reachable through a message the viewer may see, so the conversation is theirs too.
    if (conversation === null) throw new Error(`conversation ${message.conversation_id} not visible for a visible message`);
    return conversation;
  },
  sender: (message) => ({ id: message.sender_id }),
  body: (message) => message.body,
  clientMessageId: (message) => message.client_message_id,
  createdAt: (message) => message.created_at,
};
