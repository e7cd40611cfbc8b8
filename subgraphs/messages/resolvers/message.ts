import type { MessageResolvers } from '../generated/resolvers-types.js';

/** Fields of Message. A message reference resolves only for members of its conversation. */
export const Message: MessageResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.messageById.load(reference.id),
  id: (message) => message.id,
  // The key only: the row is loaded if a field needs it (ConversationValue).
  conversation: (message) => ({ id: message.conversation_id }),
  sender: (message) => ({ id: message.sender_id }),
  body: (message) => message.body,
  clientMessageId: (message) => message.client_message_id,
  createdAt: (message) => message.created_at,
};
