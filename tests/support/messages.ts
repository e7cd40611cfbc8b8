import { randomUUID } from 'node:crypto';
import type { PubSub } from '../../lib/infra/pubsub.js';
import { encodeMessagesAdded, MESSAGES_ADDED_CHANNEL } from '../../subgraphs/messages/realtime/message-events.js';
import { graphql, type TestUser } from './graphql.js';

/** Messaging steps of the tests, through the gateway, failing loudly on any error. */

export async function startConversation(
  url: string,
  viewer: TestUser,
  others: TestUser[],
  title?: string,
): Promise<{ id: string }> {
  const response = await graphql<{ startConversation: { id: string } }>(
    url,
    'mutation ($ids: [ID!]!, $title: String) { startConversation(memberIds: $ids, title: $title) { id } }',
    { ids: others.map((user) => user.id), title },
    { token: viewer.token },
  );
  if (!response.data) throw new Error(`startConversation failed: ${JSON.stringify(response.errors)}`);
  return response.data.startConversation;
}

export interface SentMessage {
  id: string;
  body: string;
  clientMessageId: string;
  createdAt: string;
}

export async function sendMessage(
  url: string,
  sender: TestUser,
  conversationId: string,
  body: string,
  clientMessageId: string = randomUUID(),
): Promise<SentMessage> {
  const response = await graphql<{ sendMessage: SentMessage }>(
    url,
    'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id body clientMessageId createdAt } }',
    { c: conversationId, b: body, k: clientMessageId },
    { token: sender.token },
  );
  if (!response.data) throw new Error(`sendMessage failed: ${JSON.stringify(response.errors)}`);
  return response.data.sendMessage;
}

/**
 * Publishes `count` messages on the platform's pub/sub as the messages subgraph does after a
 * commit, without storing them (what is tested is delivery alone); `seqs` numbers them, going
 * on from call to call. Returns their ids in order.
 */
export async function publishMessages(
  pubsub: PubSub,
  options: { conversationId: string; senderId: string; memberIds: string[]; count: number; body: string; seqs: { next: number } },
): Promise<string[]> {
  const { conversationId, senderId, memberIds, count, body, seqs } = options;
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = randomUUID();
    ids.push(id);
    await pubsub.publish(
      MESSAGES_ADDED_CHANNEL,
      encodeMessagesAdded(
        [
          {
            id,
            conversation_id: conversationId,
            seq: seqs.next++,
            sender_id: senderId,
            body,
            client_message_id: randomUUID(),
            created_at: new Date(),
          },
        ],
        new Map([[conversationId, memberIds]]),
      ),
    );
  }
  return ids;
}
