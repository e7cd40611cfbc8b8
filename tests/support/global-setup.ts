import type { TestProject } from 'vitest/node';
import { createMigratedTemplate, serveEmbeddedSnapshot } from './migrated-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Real-services mode: the migrated database each platform's database copies. */
    postgresTemplate?: string;
    /** Embedded mode: where workers fetch the migrated PGlite data directory. */
    embeddedSnapshotUrl?: string;
  }
}

/** Runs once per `vitest run`, in the main process, before any test file (tests/support/migrated-database.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl !== undefined && serverUrl !== '') {
    const template = await createMigratedTemplate(serverUrl);
    project.provide('postgresTemplate', template.name);
    return template.drop;
  }
  const snapshot = await serveEmbeddedSnapshot();
  project.provide('embeddedSnapshotUrl', snapshot.url);
  return snapshot.close;
}
