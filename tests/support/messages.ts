import { randomUUID } from 'node:crypto';
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
