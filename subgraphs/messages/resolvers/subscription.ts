import { BadUserInputError, requireViewer } from '../../../lib/kernel/errors.js';
import type { Context } from '../context.js';
import type { MessageRow } from '../db/tables.js';
import type { SubscriptionResolvers } from '../generated/resolvers-types.js';
import { openMessageStream } from '../realtime/message-stream.js';
import { openTypingStream, type TypingEventValue } from '../realtime/typing-stream.js';
import { requireMembership } from '../services/membership.js';

/**
 * Real-time fields. Every check happens in `subscribe`, before the first event, and fails the
 * subscription with a GraphQL error (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, BAD_USER_INPUT).
 * Events are rows (or TypingEventValues) carried by the pub/sub, so resolving one reads no
 * database unless the operation selects more (e.g. `conversation { unreadCount }`), and then
 * with loaders fresh for each event (lib/realtime/subscribe-per-event.ts).
 */
export const Subscription: SubscriptionResolvers = {
  messageAdded: {
    async subscribe(_parent, args, context) {
      const viewer = requireViewer(context.viewer);
      const conversationId =
        args.conversationId === null || args.conversationId === undefined
          ? null
          : (await requireMembership(context, args.conversationId, 'Only members can follow this conversation.')).conversationId;
      const after = args.after === null || args.after === undefined ? null : await findAfter(context, args.after, conversationId);
      return openMessageStream({
        db: context.db,
        feed: context.services.feed,
        viewerId: viewer.id,
        conversationId,
        after,
        logger: context.services.logger,
      });
    },
    resolve: (message: MessageRow) => message,
  },

  typing: {
    async subscribe(_parent, args, context) {
      const { viewer, conversationId } = await requireMembership(
        context,
        args.conversationId,
        'Only members can follow this conversation.',
      );
      return openTypingStream({
        feed: context.services.feed,
        viewerId: viewer.id,
        conversationId,
        ttlMs: context.services.typingTtlMs,
      });
    },
    resolve: (event: TypingEventValue) => event,
  },
};

/** The message to replay from: one the viewer can see, and of the conversation when one is given. */
async function findAfter(context: Context, after: string, conversationId: string | null): Promise<MessageRow> {
  const message = await context.loaders.messageById.load(after);
  if (message === null) throw new BadUserInputError('No message with this id in your conversations.', 'after');
  if (conversationId !== null && message.conversation_id !== conversationId) {
    throw new BadUserInputError('This message is not in this conversation.', 'after');
  }
  return message;
}
