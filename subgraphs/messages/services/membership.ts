import { ForbiddenError, NotFoundError, requireViewer } from '../../../lib/kernel/errors.js';
import { isUuid } from '../../../lib/kernel/ids.js';
import type { Viewer } from '../../../lib/kernel/tokens.js';
import type { Context } from '../context.js';
import { conversationExists } from '../db/conversation.repository.js';

/**
 * The check of every real-time entry point (subscriptions, setTyping): a signed-in viewer who
 * is a member of the conversation. One statement through the request's `memberIds` loader,
 * which also yields the member list a typing signal carries; a second one only to tell
 * FORBIDDEN (someone else's conversation) from NOT_FOUND.
 */
export async function requireMembership(
  context: Context,
  conversationId: string,
  refusal: string,
): Promise<{ viewer: Viewer; conversationId: string; memberIds: string[] }> {
  const viewer = requireViewer(context.viewer);
  if (!isUuid(conversationId)) throw new NotFoundError('No conversation with this id.');
  const id = conversationId.toLowerCase();
  const memberIds = await context.loaders.memberIds.load(id);
  if (memberIds.includes(viewer.id)) return { viewer, conversationId: id, memberIds };
  if (memberIds.length > 0 || (await conversationExists(context.db, id))) throw new ForbiddenError(refusal);
  throw new NotFoundError('No conversation with this id.');
}
