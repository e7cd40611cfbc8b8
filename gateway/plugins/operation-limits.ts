// The limits live in lib/ because every subgraph applies them too (lib/service/subgraph.ts).
export { useOperationLimits } from '../../lib/service/operation-limits.js';
