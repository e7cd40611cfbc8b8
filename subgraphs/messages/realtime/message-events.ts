import { z } from 'zod';
import type { MessageRow } from '../db/tables.js';

/**
 * What the messages subgraph publishes on the pub/sub, shared by every instance: the channel
 * names and the JSON of each payload. Payloads carry the member ids of the conversation, so
 * an instance can route an event to its subscribers without reading the database.
 */

/** One message per committed send batch: the new messages and the members of their conversations. */
export const MESSAGES_ADDED_CHANNEL = 'messages:added';
/** One message per setTyping. */
export const TYPING_CHANNEL = 'messages:typing';

const MessageJson = z.object({
  id: z.string(),
  conversationId: z.string(),
  seq: z.number().int(),
  senderId: z.string(),
  body: z.string(),
  clientMessageId: z.string(),
  createdAt: z.iso.datetime(),
});

const MessagesAddedJson = z.object({
  messages: z.array(MessageJson),
  /** Conversation id → its member ids when the batch committed. */
  members: z.record(z.string(), z.array(z.string())),
});

const TypingJson = z.object({
  conversationId: z.string(),
  userId: z.string(),
  typing: z.boolean(),
  /** The conversation's members when published; absent: deliver to every subscriber of the conversation. */
  memberIds: z.array(z.string()).optional(),
});

export interface MessagesAdded {
  /** In commit order; each conversation's messages in seq order. */
  readonly messages: readonly MessageRow[];
  readonly members: ReadonlyMap<string, readonly string[]>;
}

export type TypingSignal = z.infer<typeof TypingJson>;

export function encodeMessagesAdded(messages: readonly MessageRow[], members: ReadonlyMap<string, readonly string[]>): string {
  return JSON.stringify({
    messages: messages.map((row) => ({
      id: row.id,
      conversationId: row.conversation_id,
      seq: row.seq,
      senderId: row.sender_id,
      body: row.body,
      clientMessageId: row.client_message_id,
      createdAt: row.created_at.toISOString(),
    })),
    members: Object.fromEntries([...members].map(([conversationId, memberIds]) => [conversationId, [...memberIds]])),
  } satisfies z.input<typeof MessagesAddedJson>);
}

/** Back to the row shape the Message resolvers read, so an event needs no database read. Throws on a malformed payload. */
export function decodeMessagesAdded(json: string): MessagesAdded {
  const payload = MessagesAddedJson.parse(JSON.parse(json));
  return {
    messages: payload.messages.map((message) => ({
      id: message.id,
      conversation_id: message.conversationId,
      seq: message.seq,
      sender_id: message.senderId,
      body: message.body,
      client_message_id: message.clientMessageId,
      created_at: new Date(message.createdAt),
    })),
    members: new Map(Object.entries(payload.members)),
  };
}

export function encodeTyping(signal: TypingSignal): string {
  return JSON.stringify(signal satisfies z.input<typeof TypingJson>);
}

/** Throws on a malformed payload. */
export function decodeTyping(json: string): TypingSignal {
  return TypingJson.parse(JSON.parse(json));
}
