import { asViewerWrite } from '../../../lib/infra/db/errors.js';
import { BadUserInputError, ForbiddenError, NotFoundError, requireViewer } from '../../../lib/kernel/errors.js';
import { isUuid } from '../../../lib/kernel/ids.js';
import { parseInput } from '../../../lib/kernel/validation.js';
import {
  advanceReadMarker,
  conversationExists,
  createConversation,
  isMember,
  removeGroupMember,
} from '../db/conversation.repository.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { encodeTyping, TYPING_CHANNEL } from '../realtime/message-events.js';
import { requireMembership } from '../services/membership.js';
import { MAX_GROUP_MEMBERS, SendMessageInput, StartConversationInput } from '../validation.js';

export const Mutation: MutationResolvers = {
  async startConversation(_parent, args, { viewer, db, services, loaders, touched }) {
    const me = requireViewer(viewer);
    const input = parseInput(StartConversationInput, args);
    const others = [...new Set(input.memberIds)].filter((id) => id !== me.id);
    if (others.length === 0) throw new BadUserInputError('Name at least one other user.', 'memberIds');
    if (others.length + 1 > MAX_GROUP_MEMBERS) {
      throw new BadUserInputError(`A conversation has at most ${MAX_GROUP_MEMBERS} members.`, 'memberIds');
    }
    const existing = await services.users.existingUserIds(others, me.token);
    const unknown = others.filter((id) => !existing.has(id));
    if (unknown.length > 0) throw new BadUserInputError(`Unknown user ids: ${unknown.join(', ')}.`, 'memberIds');

    const isGroup = others.length > 1;
    // Every other member was just checked with the users subgraph: a missing account is the viewer's.
    const conversation = await asViewerWrite(
      createConversation(db, {
        title: input.title ?? null,
        isGroup,
        directKey: isGroup ? null : [me.id, ...others].sort().join(':'),
        createdBy: me.id,
        memberIds: [me.id, ...others],
      }),
    );
    loaders.conversationById.prime(conversation.id, conversation);
    touched.add('Conversation', conversation.id).add('ConversationConnection');
    return conversation;
  },

  async sendMessage(_parent, args, { viewer, services, loaders, touched }) {
    const me = requireViewer(viewer);
    const { body, clientMessageId } = parseInput(SendMessageInput, args);
    if (!isUuid(args.conversationId)) throw new NotFoundError('No conversation with this id.');
    const message = await asViewerWrite(
      services.sender.send({ conversationId: args.conversationId.toLowerCase(), senderId: me.id, body, clientMessageId }),
    );
    loaders.messageById.prime(message.id, message);
    loaders.conversationById.clear(message.conversation_id);
    // lastMessage, updatedAt and every member's unreadCount changed, and the conversation
    // moves to the top of its members' lists.
    touched.add('Conversation', message.conversation_id).add('ConversationConnection');
    return message;
  },

  async markRead(_parent, { conversationId, messageId }, { viewer, db, loaders, touched }) {
    const me = requireViewer(viewer);
    if (!isUuid(conversationId)) throw new NotFoundError('No conversation with this id.');
    const moved = isUuid(messageId) && (await advanceReadMarker(db, { conversationId, userId: me.id, messageId }));
    if (!moved) {
      if (!(await conversationExists(db, conversationId))) throw new NotFoundError('No conversation with this id.');
      if (!(await isMember(db, conversationId, me.id))) throw new ForbiddenError('Only members can read this conversation.');
      throw new BadUserInputError('This message is not in this conversation.', 'messageId');
    }
    loaders.unreadCount.clear(conversationId);
    touched.add('Conversation', conversationId);
    const conversation = await loaders.conversationById.load(conversationId);
    if (conversation === null) throw new ForbiddenError('Only members can read this conversation.');
    return conversation;
  },

  /**
   * Ephemeral: nothing is written, one membership statement, one publish. The member list
   * travels with the signal so every instance can route it without a database read.
   */
  async setTyping(_parent, args, context) {
    const { viewer, conversationId, memberIds } = await requireMembership(
      context,
      args.conversationId,
      'Only members can type in this conversation.',
    );
    await context.services.pubsub.publish(
      TYPING_CHANNEL,
      encodeTyping({ conversationId, userId: viewer.id, typing: args.typing, memberIds }),
    );
    return true;
  },

  async leaveConversation(_parent, args, context) {
    const { viewer, conversationId } = await requireMembership(
      context,
      args.conversationId,
      'Only members can leave this conversation.',
    );
    if (!(await removeGroupMember(context.db, conversationId, viewer.id))) {
      throw new BadUserInputError('A 1:1 conversation cannot be left.', 'conversationId');
    }
    context.touched.add('Conversation', conversationId).add('ConversationConnection');
    return true;
  },
};
