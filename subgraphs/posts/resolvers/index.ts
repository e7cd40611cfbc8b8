import { DateTimeScalar } from '../../../lib/kernel/scalars.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { Mutation } from './mutation.js';
import { Post } from './post.js';
import { Query } from './query.js';
import { User } from './user.js';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Post, User };
