import type { Connection, Edge } from '../../lib/kernel/pagination.js';
import type { UserRow } from './db/tables.js';

/** What resolvers return for each GraphQL type (codegen mappers): rows, not GraphQL shapes. */
export type UserValue = UserRow & {
  /** Set on the user of an AuthPayload: the caller just proved to be this user, though the request carried no token. */
  readonly signedInAs?: true;
};
export type UserConnectionValue = Connection<UserRow>;
export type UserEdgeValue = Edge<UserRow>;
export interface AuthPayloadValue {
  token: string;
  user: UserValue;
}
