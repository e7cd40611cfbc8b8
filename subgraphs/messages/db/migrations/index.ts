import type { Migration } from 'kysely';
import * as conversationsAndMessages from './2026_11_25_0001_conversations_and_messages.js';
import * as messagesCreatedAtIndex from './2026_12_01_0001_messages_created_at_index.js';
import * as userReferences from './2026_12_02_0001_user_references.js';

/** Every migration of the messages schema, by name; names sort in the order they run. */
export const migrations: Record<string, Migration> = {
  '2026_11_25_0001_conversations_and_messages': conversationsAndMessages,
  '2026_12_01_0001_messages_created_at_index': messagesCreatedAtIndex,
  '2026_12_02_0001_user_references': userReferences,
};
