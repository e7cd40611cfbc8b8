import type { Connection, Edge } from '../../lib/kernel/pagination.js';
import type { PostRow } from './db/tables.js';

/** What resolvers return for each GraphQL type (codegen mappers): rows, not GraphQL shapes. */
export type PostValue = PostRow;
export type PostConnectionValue = Connection<PostRow>;
export type PostEdgeValue = Edge<PostRow>;
/** A User as this subgraph knows it: only the key; the users subgraph resolves the rest. */
export interface UserReferenceValue {
  id: string;
}
export interface HashtagTrendValue {
  tag: string;
  postsCount: number;
}
