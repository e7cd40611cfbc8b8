// The limits live in lib/ because every subgraph applies them too (lib/subgraph.ts).
export { useOperationLimits } from '../../lib/operation-limits.js';
