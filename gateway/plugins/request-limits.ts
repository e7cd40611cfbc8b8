// The limits live in lib/ because every subgraph applies them too (lib/service/subgraph.ts).
export { MAX_BATCHED_OPERATIONS, MAX_REQUEST_BODY_BYTES, requestLimitOptions } from '../../lib/service/request-limits.js';
