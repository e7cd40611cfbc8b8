import type { TestProject } from 'vitest/node';
import { serveEmbeddedSnapshot } from './embedded-snapshot.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where workers fetch the migrated embedded database (tests/support/embedded-snapshot.ts). */
    embeddedSnapshotUrl: string;
  }
}

/** Runs once per `vitest run`, in the main process, before any test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const snapshot = await serveEmbeddedSnapshot();
  project.provide('embeddedSnapshotUrl', snapshot.url);
  return snapshot.close;
}
