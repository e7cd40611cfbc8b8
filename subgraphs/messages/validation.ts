import { z } from 'zod';

/** Input rules of the messages subgraph, as the schema descriptions state them. */

export const MAX_GROUP_MEMBERS = 50;

export const StartConversationInput = z.object({
  memberIds: z
    .array(z.string().trim().toLowerCase().uuid('must be user ids'))
    .min(1, 'must name at least one other user')
    .max(MAX_GROUP_MEMBERS, `must name at most ${MAX_GROUP_MEMBERS - 1} other users`),
  title: z
    .string()
    .trim()
    .max(100, 'must be at most 100 characters')
    .transform((value) => (value === '' ? null : value))
    .nullish(),
});

export const SendMessageInput = z.object({
  body: z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters'),
  clientMessageId: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
});
