import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node resolves `graphql` to its CommonJS build (no "exports" field), Vite to the .mjs one
    // ("module" field). Two copies of GraphQLError break `instanceof` checks in Yoga's error
    // masking, so tests use the copy Node uses in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    // One worker process per core (vitest's default is one fewer: a single worker on 2 cores),
    // reused for file after file: a fresh process per file re-imports the gateway and
    // recompiles PGlite's 9 MB WebAssembly, slower than most files' tests. Each file still
    // starts its own platforms on their own databases, and lib/ keeps no state across them
    // (its one process-wide flag, shutdown.ts's draining, is set by a signal to `npm start`).
    maxWorkers: availableParallelism(),
    isolate: false,
    // One migrated database per run, copied for each test platform (tests/support/migrated-database.ts).
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
