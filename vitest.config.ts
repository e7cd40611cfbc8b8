import { createRequire } from 'node:module';
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
    // Serves one migrated embedded database to every worker (embedded mode only, on first use).
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
