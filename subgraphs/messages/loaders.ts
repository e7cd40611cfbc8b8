import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { groupRows, matchRows } from '../../lib/kernel/grouping.js';
import { isUuid, lowerCased } from '../../lib/kernel/ids.js';
import type { MakeLoader } from '../../lib/service/batch-loaders.js';
import { countUnread, findConversationsOfMember, findMembers } from './db/conversation.repository.js';
import { findMessagesForMember, pageMessages } from './db/message.repository.js';
import type { ConversationRow, MessageRow, MessagesDatabase } from './db/tables.js';

/**
 * Per-request DataLoaders of the messages subgraph, all scoped to the viewer: a conversation
 * or message the viewer is not a member of loads as null, whichever route (query, entity
 * reference, nested field) asks for it. Anonymous viewers get null for everything.
 */
export interface MessagesLoaders {
  conversationById: DataLoader<string, ConversationRow | null>;
  messageById: DataLoader<string, MessageRow | null>;
  memberIds: DataLoader<string, string[]>;
  unreadCount: DataLoader<string, number>;
  /** One page of messages (newest first, below `beforeSeq`) per conversation. */
  messagesPage(first: number, beforeSeq: number | null): DataLoader<string, MessageRow[]>;
}

export function createLoaders(makeLoader: MakeLoader, db: Kysely<MessagesDatabase>, viewerId: string | null): MessagesLoaders {
  /** Loads rows by id for the viewer; ids that are not UUIDs, or not the viewer's, are null. */
  function viewerScoped<R extends { id: string }>(name: string, find: (userId: string, ids: string[]) => Promise<R[]>) {
    return makeLoader<string, R | null>(name, async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = viewerId === null || valid.length === 0 ? [] : await find(viewerId, valid);
      // UUIDs come in any case; the database gives them lower-cased.
      return matchRows(
        lowerCased(ids),
        rows,
        (row) => row.id,
        () => null,
      );
    });
  }

  const memberIds = makeLoader<string, string[]>('memberIds', async (conversationIds) => {
    const rows = await findMembers(db, conversationIds);
    return groupRows(conversationIds, rows, (row) => row.conversation_id).map((members) => members.map((row) => row.user_id));
  });

  const unreadCount = makeLoader<string, number>('unreadCount', async (conversationIds) => {
    const rows = viewerId === null ? [] : await countUnread(db, viewerId, conversationIds);
    return matchRows(
      conversationIds,
      rows,
      (row) => row.conversation_id,
      () => ({ unread: 0 }),
    ).map((row) => row.unread);
  });

  const pages = new Map<string, DataLoader<string, MessageRow[]>>();
  function messagesPage(first: number, beforeSeq: number | null) {
    const key = `${first}|${beforeSeq ?? ''}`;
    let loader = pages.get(key);
    if (loader === undefined) {
      loader = makeLoader<string, MessageRow[]>('messagesPage', async (conversationIds) => {
        // One row more than asked tells the connection whether a next page exists.
        const rows = await pageMessages(db, { conversationIds, beforeSeq, limit: first + 1 });
        return groupRows(conversationIds, rows, (row) => row.conversation_id);
      });
      pages.set(key, loader);
    }
    return loader;
  }

  return {
    conversationById: viewerScoped('conversationById', (userId, ids) => findConversationsOfMember(db, userId, ids)),
    messageById: viewerScoped('messageById', (userId, ids) => findMessagesForMember(db, userId, ids)),
    memberIds,
    unreadCount,
    messagesPage,
  };
}
