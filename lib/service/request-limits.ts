import type { YogaServerOptions } from 'graphql-yoga';

/** Larger bodies are refused with 413 before they are read in full. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
/** Operations in one batched request (a JSON array); more is refused with 413. */
export const MAX_BATCHED_OPERATIONS = 10;

/**
 * Yoga options that bound what one HTTP request may ask for. Yoga itself answers malformed
 * JSON with 400 and a GraphQL error.
 */
export function requestLimitOptions(): Pick<YogaServerOptions<object, object>, 'maxRequestBodySize' | 'batching'> {
  return { maxRequestBodySize: MAX_REQUEST_BODY_BYTES, batching: { limit: MAX_BATCHED_OPERATIONS } };
}

/**
 * A subgraph's body limit: a fetch carries at most the client's variables (bounded by the
 * gateway's body limit) plus the query plan's document and entity representations.
 */
export const SUBGRAPH_MAX_REQUEST_BODY_BYTES = 2 * MAX_REQUEST_BODY_BYTES;
