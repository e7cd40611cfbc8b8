import { z } from 'zod';

/** Input rules of the posts subgraph, as the schema descriptions state them. */

export const CreatePostInput = z.object({
  content: z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
});

export const SearchPostsInput = z.object({
  query: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});

export const HashtagInput = z.object({
  tag: z
    .string()
    .trim()
    .transform((tag) => tag.replace(/^#/, ''))
    .pipe(z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters')),
});

export const TrendingInput = z.object({
  limit: z.number().int('must be an integer').min(1, 'must be at least 1').max(50, 'must be at most 50'),
});
