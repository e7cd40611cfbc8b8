import type { Connection, Edge } from '../../lib/kernel/pagination.js';
import type { ConversationRow, MessageRow } from './db/tables.js';

/** What resolvers return for each GraphQL type (codegen mappers): rows, not GraphQL shapes. */
/**
 * A Conversation: its row, or only its key when it was reached through a message the viewer may
 * see. Fields other than the key then load the row when they are asked for
 * (resolvers/conversation.ts), so `messageAdded { conversation { id } }` costs no SQL per event.
 */
export type ConversationValue = ConversationRow | ConversationKey;
export interface ConversationKey {
  readonly id: string;
}
export type ConversationConnectionValue = Connection<ConversationRow>;
export type ConversationEdgeValue = Edge<ConversationRow>;
export type MessageValue = MessageRow;
export type MessageConnectionValue = Connection<MessageRow>;
export type MessageEdgeValue = Edge<MessageRow>;
/** A User as this subgraph knows it: only the key; the users subgraph resolves the rest. */
export interface UserReferenceValue {
  id: string;
}
