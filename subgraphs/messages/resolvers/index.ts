import { DateTimeScalar } from '../../../lib/kernel/scalars.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { Conversation } from './conversation.js';
import { Message } from './message.js';
import { Mutation } from './mutation.js';
import { Query } from './query.js';
import { Subscription } from './subscription.js';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Subscription, Conversation, Message };
