import type { Connection, Edge } from '../../lib/pagination.js';
import type { ConversationRow, MessageRow } from './conversation.table.js';

/** What resolvers return for each GraphQL type (codegen mappers): rows, not GraphQL shapes. */
export type ConversationValue = ConversationRow;
export type ConversationConnectionValue = Connection<ConversationRow>;
export type ConversationEdgeValue = Edge<ConversationRow>;
export type MessageValue = MessageRow;
export type MessageConnectionValue = Connection<MessageRow>;
export type MessageEdgeValue = Edge<MessageRow>;
/** A User as this subgraph knows it: only the key; the users subgraph resolves the rest. */
export interface UserReferenceValue {
  id: string;
}
