import type { Kysely } from 'kysely';
import { ForbiddenError, NotFoundError } from '../../lib/errors.js';
import { WriteBatcher } from '../../lib/write-batcher.js';
import { conversationExists } from './conversation.repository.js';
import type { MessageRow, MessagesDatabase } from './conversation.table.js';
import { findBySenderKeys, insertMessages, type NewMessage } from './message.repository.js';

const senderKey = (senderId: string, clientMessageId: string) => `${senderId}\u0000${clientMessageId}`;

/**
 * Sends messages through a WriteBatcher: concurrent sends (from any requests) become one
 * multi-row INSERT (one short transaction). Retries of the same (sender, clientMessageId),
 * in the same batch or later, all get the first stored message.
 */
export function createMessageSender(db: Kysely<MessagesDatabase>, options: { maxBatchSize?: number; maxInFlight?: number } = {}) {
  const batcher = new WriteBatcher<NewMessage, MessageRow>((batch) => sendBatch(db, batch), options);
  return { send: (message: NewMessage) => batcher.write(message) };
}

export type MessageSender = ReturnType<typeof createMessageSender>;

async function sendBatch(db: Kysely<MessagesDatabase>, batch: NewMessage[]): Promise<Array<MessageRow | Error>> {
  // The same key twice in one batch is one message: send it once, answer both.
  const unique = new Map<string, NewMessage>();
  for (const message of batch) {
    const key = senderKey(message.senderId, message.clientMessageId);
    if (!unique.has(key)) unique.set(key, message);
  }
  const stored = new Map<string, MessageRow>();
  for (const row of await insertMessages(db, [...unique.values()]))
    stored.set(senderKey(row.sender_id, row.client_message_id), row);

  // Not stored: an earlier send with this key (a retry), or not allowed (not a member, no such conversation).
  const missing = [...unique.entries()].filter(([key]) => !stored.has(key)).map(([, message]) => message);
  if (missing.length > 0) {
    for (const row of await findBySenderKeys(db, missing)) stored.set(senderKey(row.sender_id, row.client_message_id), row);
  }
  const refusals = new Map<string, Error>();
  for (const message of missing) {
    const key = senderKey(message.senderId, message.clientMessageId);
    if (stored.has(key) || refusals.has(key)) continue;
    refusals.set(
      key,
      (await conversationExists(db, message.conversationId))
        ? new ForbiddenError('Only members can send messages to this conversation.')
        : new NotFoundError('No conversation with this id.'),
    );
  }
  return batch.map((message) => {
    const key = senderKey(message.senderId, message.clientMessageId);
    return stored.get(key) ?? refusals.get(key) ?? new Error('message neither stored nor refused');
  });
}
