import { fileURLToPath } from 'node:url';
import { type LoadedOperation, loadOperations } from '../../../tools/federation-diff/operations.js';

const OPERATIONS_DIR = fileURLToPath(new URL('../../../clients/operations/', import.meta.url));

/** One operation of clients/operations: its kind, and a document of it with the fragments it uses. */
export type ClientOperation = LoadedOperation;

/** Every operation in clients/operations/<area>/*.graphql, by name. */
export function loadClientOperations(): ReadonlyMap<string, ClientOperation> {
  return new Map(loadOperations(OPERATIONS_DIR).map((operation) => [operation.name, operation]));
}
