import { asViewerWrite, violatedUniqueConstraint } from '../../../lib/infra/db/errors.js';
import {
  AccountGoneError,
  BadUserInputError,
  ConflictError,
  NotFoundError,
  requireViewer,
  UnauthenticatedError,
} from '../../../lib/kernel/errors.js';
import { isUuid } from '../../../lib/kernel/ids.js';
import { parseInput } from '../../../lib/kernel/validation.js';
import type { Context } from '../context.js';
import { deleteFollow, insertFollow } from '../db/follow.repository.js';
import type { UserRow } from '../db/tables.js';
import { findCredentialsByEmail, insertUser, updateUser } from '../db/user.repository.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { hashPassword, verifyPassword } from '../services/passwords.js';
import { LoginInput, RegisterInput, UpdateProfileInput } from '../validation.js';

/** The same words for an unknown email and a wrong password: login must not reveal which accounts exist. */
const WRONG_CREDENTIALS = 'Wrong email or password.';

/** Maps the unique index a registration hit to the input field it concerns. */
const CONFLICT_FIELDS: Record<string, { field: string; message: string }> = {
  users_email_key: { field: 'email', message: 'This email is already registered.' },
  users_username_key: { field: 'username', message: 'This username is taken.' },
};

export const Mutation: MutationResolvers = {
  async register(_parent, { input }, { db, services, loaders, touched }) {
    const valid = parseInput(RegisterInput, input);
    const passwordHash = await hashPassword(valid.password);
    let user: UserRow;
    try {
      user = await insertUser(db, {
        email: valid.email,
        username: valid.username,
        display_name: valid.displayName,
        university: valid.university ?? null,
        password_hash: passwordHash,
      });
    } catch (error) {
      const constraint = violatedUniqueConstraint(error);
      const conflict = constraint === undefined ? undefined : CONFLICT_FIELDS[constraint];
      if (conflict !== undefined) throw new ConflictError(conflict.message, conflict.field);
      throw error;
    }
    loaders.userById.prime(user.id, user);
    // A new user may belong in cached search results.
    touched.add('User', user.id).add('UserConnection');
    services.logger.info({ userId: user.id }, 'user registered');
    return { token: await services.tokens.sign(user.id), user: { ...user, signedInAs: true } };
  },

  async login(_parent, args, { db, services, loaders }) {
    const { email, password } = parseInput(LoginInput, args);
    const credentials = await findCredentialsByEmail(db, email);
    // Verify against a decoy when the email is unknown, so both failures take the same time.
    const matches = await verifyPassword(credentials?.password_hash ?? services.decoyPasswordHash, password);
    if (credentials === undefined || !matches) throw new UnauthenticatedError(WRONG_CREDENTIALS);
    const user = await loaders.userById.load(credentials.id);
    if (user === null) throw new UnauthenticatedError(WRONG_CREDENTIALS);
    return { token: await services.tokens.sign(user.id), user: { ...user, signedInAs: true } };
  },

  async updateProfile(_parent, { input }, { viewer, db, loaders, touched }) {
    const { id } = requireViewer(viewer);
    const valid = parseInput(UpdateProfileInput, input);
    const user = await updateUser(db, id, {
      ...(valid.displayName === undefined ? {} : { display_name: valid.displayName }),
      ...(valid.university === undefined ? {} : { university: valid.university }),
      ...(valid.bio === undefined ? {} : { bio: valid.bio }),
      ...(valid.avatarUrl === undefined ? {} : { avatar_url: valid.avatarUrl }),
    });
    if (user === undefined) throw new AccountGoneError();
    loaders.userById.clear(id).prime(id, user);
    // A new name or university moves the user into or out of cached search results.
    touched.add('User', id).add('UserConnection');
    return user;
  },

  async follow(_parent, { userId }, context) {
    const { id } = requireViewer(context.viewer);
    const target = await loadTarget(userId, context);
    if (target.id === id) throw new BadUserInputError('You cannot follow yourself.', 'userId');
    // The target was just loaded: a missing account is the viewer's.
    await asViewerWrite(insertFollow(context.db, id, target.id));
    clearFollowState(context, id, target.id);
    return target;
  },

  async unfollow(_parent, { userId }, context) {
    const { id } = requireViewer(context.viewer);
    const target = await loadTarget(userId, context);
    await deleteFollow(context.db, id, target.id);
    clearFollowState(context, id, target.id);
    return target;
  },
};

async function loadTarget(userId: string, { loaders }: Context): Promise<UserRow> {
  const target = isUuid(userId) ? await loaders.userById.load(userId) : null;
  if (target === null) throw new NotFoundError('No user with this id.');
  return target;
}

/**
 * After a follow change, counts and follow state read later in this request must be fresh,
 * and so must cached responses.
 */
function clearFollowState({ loaders, touched }: Context, followerId: string, followeeId: string): void {
  loaders.followCounts.clear(followerId).clear(followeeId);
  loaders.followedByViewer?.clear(followeeId);
  // Both counts and both lists changed: the follower's following, the followee's followers.
  touched.add('User', followerId).add('User', followeeId);
}
