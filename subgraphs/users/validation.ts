import { z } from 'zod';

/** Input rules of the users subgraph, as the schema descriptions state them. */

const email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be a valid email address'))
  .transform((value) => value.toLowerCase());

export const username = z
  .string()
  .trim()
  .transform((value) => value.toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9_]{3,30}$/, 'must be 3-30 characters of a-z, 0-9 and _'));

const password = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');
const displayName = z.string().trim().min(1, 'must not be empty').max(50, 'must be at most 50 characters');
/** Optional free text: blank means "none". */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .transform((value) => (value === '' ? null : value))
    .nullable();

const avatarUrl = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .refine((value) => value === '' || /^https?:\/\/[^\s]+$/i.test(value), 'must be an http(s) URL')
  .transform((value) => (value === '' ? null : value))
  .nullable();

export const RegisterInput = z.object({
  email,
  username,
  password,
  displayName,
  university: optionalText(100).optional(),
});

export const LoginInput = z.object({ email: z.string().trim().toLowerCase(), password: z.string() });

export const UpdateProfileInput = z.object({
  displayName: displayName.optional(),
  university: optionalText(100).optional(),
  bio: optionalText(500).optional(),
  avatarUrl: avatarUrl.optional(),
});

export const SearchUsersInput = z.object({
  query: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  university: z.string().trim().max(100).nullish(),
});
