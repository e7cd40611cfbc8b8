import type { z } from 'zod';
import { BadUserInputError } from './errors.js';

/**
 * Parses input with a zod schema; the first problem becomes BAD_USER_INPUT naming the field
 * (`extensions.field`), so a form can show the message next to the right box.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || undefined;
  throw new BadUserInputError(issue === undefined ? 'Invalid input.' : `${field ?? 'input'}: ${issue.message}`, field);
}
