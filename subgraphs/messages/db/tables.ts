import type { ColumnType, Generated, Selectable } from 'kysely';

/** messages.conversations: one row per direct (1:1) or group conversation. */
export interface ConversationTable {
  id: Generated<string>;
  title: string | null;
  is_group: boolean;
  /** For a 1:1 conversation, its two member ids in order ("a:b"): unique, so there is only one per pair. */
  direct_key: string | null;
  /** Null once the account that started it is removed. */
  created_by: string | null;
  /** The sequence number of the newest message (0 when none). Incremented under the row's lock. */
  last_seq: ColumnType<number, never, never>;
  created_at: ColumnType<Date, never, never>;
  /** Time of the last message (creation time until the first). */
  updated_at: ColumnType<Date, never, never>;
}

/** messages.members: who is in a conversation, and how far they have read. */
export interface MemberTable {
  conversation_id: string;
  user_id: string;
  /** The sequence number of the last message this member has read (0 when none). */
  last_read_seq: ColumnType<number, never, number>;
  joined_at: ColumnType<Date, never, never>;
}

/** messages.messages: one row per message; (conversation_id, seq) orders a conversation. */
export interface MessageTable {
  id: Generated<string>;
  conversation_id: string;
  seq: number;
  sender_id: string;
  body: string;
  client_message_id: string;
  created_at: ColumnType<Date, never, never>;
}

export interface MessagesDatabase {
  'messages.conversations': ConversationTable;
  'messages.members': MemberTable;
  'messages.messages': MessageTable;
}

export type ConversationRow = Selectable<ConversationTable>;
export type MessageRow = Selectable<MessageTable>;
