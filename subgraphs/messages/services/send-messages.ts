import type { Kysely } from 'kysely';
import { ForbiddenError, NotFoundError } from '../../../lib/kernel/errors.js';
import { conversationExists } from '../db/conversation.repository.js';
import { findBySenderKeys, insertMessages, type NewMessage } from '../db/message.repository.js';
import type { MessageRow, MessagesDatabase } from '../db/tables.js';
import type { MessagePublisher } from '../realtime/message-publisher.js';
import { WriteBatcher } from './write-batcher.js';

const senderKey = (senderId: string, clientMessageId: string) => `${senderId}\u0000${clientMessageId}`;

/**
 * Sends messages through a WriteBatcher: concurrent sends (from any requests) become one
 * multi-row INSERT (one short transaction). Retries of the same (sender, clientMessageId),
 * in the same batch or later, all get the first stored message.
 *
 * `publisher` publishes each batch's newly stored rows (never the existing messages retries
 * are answered with); the sends of a batch are answered once its publish settled, so a send
 * leaves no work behind (message-publisher.ts never rejects).
 */
export function createMessageSender(
  db: Kysely<MessagesDatabase>,
  options: { maxBatchSize?: number; maxInFlight?: number; publisher?: MessagePublisher } = {},
) {
  const batcher = new WriteBatcher<NewMessage, MessageRow>((batch) => sendBatch(db, batch, options.publisher), options);
  return { send: (message: NewMessage) => batcher.write(message) };
}

export type MessageSender = ReturnType<typeof createMessageSender>;

async function sendBatch(
  db: Kysely<MessagesDatabase>,
  batch: NewMessage[],
  publisher: MessagePublisher | undefined,
): Promise<Array<MessageRow | Error>> {
  // The same key twice in one batch is one message: send it once, answer both.
  const unique = new Map<string, NewMessage>();
  for (const message of batch) {
    const key = senderKey(message.senderId, message.clientMessageId);
    if (!unique.has(key)) unique.set(key, message);
  }
  // Begun before the INSERT: the publisher orders batches by what was running when each returned.
  const publication = publisher?.begin();
  let inserted: MessageRow[];
  try {
    inserted = await insertMessages(db, [...unique.values()]);
  } catch (error) {
    publication?.abandoned();
    throw error;
  }
  const published = publication?.committed(inserted);
  const stored = new Map<string, MessageRow>();
  for (const row of inserted) stored.set(senderKey(row.sender_id, row.client_message_id), row);

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
  await published;
  return batch.map((message) => {
    const key = senderKey(message.senderId, message.clientMessageId);
    return stored.get(key) ?? refusals.get(key) ?? new Error('message neither stored nor refused');
  });
}
