import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../lib/infra/db/scratch-database.js';
import { type BuildOutput, buildOutput, javaScriptFiles, REPOSITORY_ROOT } from '../scripts/build-output.js';
import { runToCompletion, type ServiceProcess, startServiceProcess, untilReady } from '../scripts/cluster/service-process.js';
import { freePort } from '../scripts/free-port.js';
import { usingRealPostgres } from './support/platform.js';

/**
 * `npm run build` (scripts/build-output.ts) into a directory laid out as deploy/Dockerfile's
 * image (app/dist beside app/node_modules), and each production process started from it with
 * plain `node`: no tsx, nothing read from the sources.
 */

const PACKAGE = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

let root: string;
let build: BuildOutput;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'chitlaq-build-'));
  mkdirSync(join(root, 'app'));
  symlinkSync(realpathSync(join(REPOSITORY_ROOT, 'node_modules')), join(root, 'app', 'node_modules'));
  // Emit only: `npm run lint` type-checks the same files, and the output is the same either way.
  build = await buildOutput(join(root, 'app', 'dist'), { typeCheck: false });
});
afterAll(async () => {
  await Promise.all(started.map((service) => service.stop()));
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

/**
 * Starting a process from the build takes 1-3 s here; with this 2-core machine busy with other
 * work (load 15), a gateway took 24 s.
 */
const PROCESS_TIMEOUT_MS = 120_000;

const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  LOG_PRETTY: 'false',
  HOST: '127.0.0.1',
  JWT_SECRET: 'build-test-secret-that-is-long-enough-for-hs256',
  SUBGRAPH_SIGNING_SECRET: 'build-test-signing-secret-that-is-long-enough',
  // No balancer to drain from: stop at once.
  SHUTDOWN_DRAIN_MS: '0',
};

function start(name: string, entry: string, port: number, env: Record<string, string>): ServiceProcess {
  const service = startServiceProcess({
    name,
    entry: join(build.outDir, entry),
    port,
    env: { ...PRODUCTION_ENV, DATA_DIR: join(root, 'data'), ...env },
    logFile: join(root, `${name}.log`),
  });
  started.push(service);
  return service;
}

describe('npm run build', () => {
  it('compiles every production entry point', () => {
    expect(build.entryPoints).toEqual([
      'gateway/main.js',
      'subgraphs/users/main.js',
      'subgraphs/posts/main.js',
      'subgraphs/messages/main.js',
      'scripts/migrate.js',
      'scripts/db-report.js',
    ]);
    expect(JSON.parse(readFileSync(join(build.outDir, 'package.json'), 'utf8'))).toMatchObject({ type: 'module' });
  });

  it('copies each file the compiled code reads next to itself, as it is in the sources', () => {
    expect(build.assets.map((asset) => asset.path)).toEqual([
      'clients/generated/persisted-documents.json',
      'subgraphs/messages/schema.graphql',
      'subgraphs/posts/schema.graphql',
      'subgraphs/users/schema.graphql',
      'supergraph.graphql',
    ]);
    for (const asset of build.assets) {
      expect(readFileSync(join(build.outDir, asset.path), 'utf8')).toBe(readFileSync(asset.source, 'utf8'));
    }
  });

  it('imports only Node built-ins and production dependencies (the image installs no devDependencies)', () => {
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of javaScriptFiles(build.outDir)) {
      const text = readFileSync(join(build.outDir, file), 'utf8');
      // `… from 'x'`, `import 'x'`, `import('x')`: what tsc emits for each kind of import.
      for (const [, specifier] of text.matchAll(/(?:\bfrom\s*|^import\s*|\bimport\(\s*)['"]([^'"\n]+)['"]/gm)) {
        if (specifier === undefined || specifier.startsWith('.')) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
        imported.add(name);
      }
    }
    const outside = [...imported].filter(
      (name) => !name.startsWith('node:') && !builtins.has(name) && !(name in PACKAGE.dependencies),
    );
    expect(outside).toEqual([]);
    // What the scan finds: a scan that found nothing would pass the line above.
    expect([...imported]).toEqual(expect.arrayContaining(['graphql', 'graphql-yoga', 'pg', 'node:fs']));
  });

  it(
    'starts the gateway with plain node, which answers GraphQL',
    async () => {
      const port = await freePort();
      const gateway = start('gateway', 'gateway/main.js', port, {
        GATEWAY_PORT: String(port),
        ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      });
      await untilReady(gateway);
      const response = await fetch(`${gateway.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
      expect(gateway.child.spawnargs.slice(1)).toEqual([join(build.outDir, 'gateway/main.js')]);
      await gateway.stop();
      expect(gateway.child.exitCode).toBe(0);
    },
    PROCESS_TIMEOUT_MS,
  );

  it.runIf(usingRealPostgres)(
    'migrates an empty database and starts each subgraph on it',
    async () => {
      const database = await createScratchDatabase(process.env.DATABASE_URL as string);
      try {
        const env = {
          DATABASE_URL: database.url,
          DATABASE_POOL_MIN: '0',
          ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
        };
        const migrateLog = join(root, 'migrate.log');
        await runToCompletion({
          entry: join(build.outDir, 'scripts/migrate.js'),
          env: { ...PRODUCTION_ENV, ...env },
          logFile: migrateLog,
        });
        const migrated = readFileSync(migrateLog, 'utf8')
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { msg: string }).msg);
        expect(migrated).toEqual(['users: migrated', 'posts: migrated', 'messages: migrated']);
        const subgraphs = await Promise.all(
          (['users', 'posts', 'messages'] as const).map(async (name) => {
            const port = await freePort();
            return start(name, `subgraphs/${name}/main.js`, port, { ...env, [`${name.toUpperCase()}_PORT`]: String(port) });
          }),
        );
        await Promise.all(subgraphs.map((subgraph) => untilReady(subgraph)));
        for (const subgraph of subgraphs) {
          expect(readFileSync(subgraph.logFile, 'utf8')).toContain(`${subgraph.name} subgraph ready at`);
          await subgraph.stop();
          expect(subgraph.child.exitCode).toBe(0);
        }
      } finally {
        await database.drop();
      }
    },
    PROCESS_TIMEOUT_MS,
  );

  it.runIf(!usingRealPostgres)(
    'loads each subgraph, which asks for DATABASE_URL without one',
    async () => {
      const outcomes = await Promise.all(
        (['users', 'posts', 'messages'] as const).map((name) =>
          runToCompletion({
            entry: join(build.outDir, `subgraphs/${name}/main.js`),
            env: PRODUCTION_ENV,
            logFile: join(root, `${name}-embedded.log`),
          }).then(
            () => 'exited 0',
            (error: Error) => error.message,
          ),
        ),
      );
      for (const outcome of outcomes) {
        // Its imports all loaded (ESM links every module before running one): main() refused to start.
        expect(outcome).toContain('exited with 1');
        expect(outcome).toContain('DATABASE_URL: required to run a subgraph as its own process');
      }
    },
    PROCESS_TIMEOUT_MS,
  );
});
