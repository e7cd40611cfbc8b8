import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenService } from '../../lib/kernel/tokens.js';
import { composeSupergraph } from '../support/federation/compose.js';
import { type FixtureSubgraph, type RunningSubgraph, startFixtureSubgraph } from '../support/federation/fixture-subgraph.js';

/**
 * `npm run federation:diff` as an operator runs it: its own script in a child process without
 * a terminal, over a supergraph whose subgraphs it did not start (two fixture subgraphs started
 * here), reading operation files from a directory. Asserts on the report it prints and its
 * exit code.
 */

const JWT_SECRET = 'diff-cli-test-secret-that-is-long-enough-0123456789';
const tokens = createTokenService({
  key: { algorithm: 'HS256', secret: JWT_SECRET, source: 'env' },
  issuer: 'chitlaq',
  audience: 'chitlaq-graph',
  ttlSeconds: 3600,
});

/** What the shop's subgraphs saw: the Authorization header of each request, and each rename. */
interface ShopLog {
  readonly authorization: (string | null)[];
  renames: number;
}

/**
 * A catalog subgraph (products, renamed by a mutation, and who asks: the Authorization header it
 * got) and a visits subgraph whose `Product.visits` counts the times it was asked: each gateway
 * asking it gets the next number, so stock's answer and ours' always differ.
 */
async function startShop(): Promise<{ supergraph: string; log: ShopLog; stop(): Promise<void> }> {
  const log: ShopLog = { authorization: [], renames: 0 };
  const names = new Map([
    ['p1', 'Kettle'],
    ['p2', 'Teapot'],
  ]);
  const product = (id: string) => (names.has(id) ? { id, name: names.get(id) } : null);
  let visits = 0;
  const subgraphs: FixtureSubgraph[] = [
    {
      name: 'catalog',
      typeDefs: /* GraphQL */ `
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Product @key(fields: "id") { id: ID! name: String! }
        type Query { products: [Product!]! product(id: ID!): Product whoAsks: String }
        type Mutation { rename(id: ID!, name: String!): Product }
      `,
      resolvers: {
        Query: {
          products: () => [...names.keys()].map(product),
          product: (_: unknown, { id }: { id: string }) => product(id),
          whoAsks: (_: unknown, __: unknown, context: { request: Request }) => {
            const authorization = context.request.headers.get('authorization');
            log.authorization.push(authorization);
            return authorization;
          },
        },
        Mutation: {
          rename: (_: unknown, { id, name }: { id: string; name: string }) => {
            log.renames += 1;
            names.set(id, name);
            return product(id);
          },
        },
        Product: { __resolveReference: ({ id }: { id: string }) => product(id) },
      },
    },
    {
      name: 'visits',
      typeDefs: /* GraphQL */ `
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
        type Product @key(fields: "id") { id: ID! visits: Int! }
      `,
      resolvers: {
        Product: {
          __resolveReference: ({ id }: { id: string }) => ({ id }),
          visits: () => {
            visits += 1;
            return visits;
          },
        },
      },
    },
  ];
  const running: RunningSubgraph[] = [];
  for (const subgraph of subgraphs) running.push(await startFixtureSubgraph(subgraph));
  const supergraph = composeSupergraph(subgraphs.map((subgraph, index) => ({ ...subgraph, url: running[index]?.url as string })));
  return {
    supergraph,
    log,
    async stop() {
      for (const subgraph of running) await subgraph.stop();
    },
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A temporary directory holding `files` (path → content), removed after the test. */
function directoryWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'chitlaq-diff-cli-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

async function shop() {
  const started = await startShop();
  cleanups.push(() => started.stop());
  return started;
}

/** Runs the npm script's command with `args` in `cwd`, as npm would (INIT_CWD), and waits for it to exit. */
function runDiff(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const script = new URL('../../scripts/federation-diff.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: new URL('../../', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INIT_CWD: options.cwd, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The report's operation lines and the lines under them, without the header. */
function outcomes(stdout: string): string[] {
  return stdout
    .slice(stdout.indexOf('\n\n') + 2)
    .trimEnd()
    .split('\n');
}

describe('npm run federation:diff', () => {
  it('reports every operation the same and exits 0 when stock and ours agree', { timeout: 120_000 }, async () => {
    const { supergraph, log } = await shop();
    const token = await tokens.sign(randomUUID());
    const dir = directoryWith({
      'shop/supergraph.graphql': supergraph,
      'shop/variables.json': JSON.stringify({ ProductById: { id: 'p2' }, Rename: { id: 'p1', name: 'Kettle 2' } }),
      'shop/operations/a-products.graphql': 'query Products { products { id name } }',
      'shop/operations/b-by-id.graphql': 'query ProductById($id: ID!) { product(id: $id) { ...Named } }',
      'shop/operations/c-who.graphql': 'query WhoAsks { whoAsks }',
      'shop/operations/d-rename.graphql':
        'mutation Rename($id: ID!, $name: String!) { rename(id: $id, name: $name) { id name } }',
      'shop/operations/e-watch.graphql': 'subscription WatchProducts { products { id } }',
      'shop/operations/fragments/named.graphql': 'fragment Named on Product { id name }',
    });

    const run = await runDiff(
      [
        '--supergraph',
        'shop/supergraph.graphql',
        '--operations',
        'shop/operations',
        '--variables',
        'shop/variables.json',
        '--header',
        `Authorization: Bearer ${token}`,
        '--allow-mutations',
      ],
      { cwd: dir, env: { JWT_SECRET } },
    );

    expect(outcomes(run.stdout)).toEqual([
      'same     Products  (a-products.graphql)',
      'same     ProductById  (b-by-id.graphql)',
      'same     WhoAsks  (c-who.graphql)',
      'same     Rename  (d-rename.graphql)',
      'skipped  WatchProducts  (e-watch.graphql): a subscription (stock Apollo Server does not serve them)',
      '',
      '4 compared: 4 same, 0 differ; 1 skipped.',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Supergraph shop/supergraph.graphql: 2 subgraphs\n  catalog  http://127.0.0.1:`);
    expect(run.stderr).toContain('warning: --allow-mutations: each of the 1 mutations runs 6 times');
    // Both gateways passed the header on: stock, ours cold; ours warm answered from its cache; ours
    // off; the entity cache alone cold, its warm answer from the fetch it cached.
    expect(log.authorization).toEqual([`Bearer ${token}`, `Bearer ${token}`, `Bearer ${token}`, `Bearer ${token}`]);
    expect(log.renames).toBe(6);
  });

  it('names the operation whose answers differ, where and in which gateway, and exits 1', { timeout: 120_000 }, async () => {
    const { supergraph, log } = await shop();
    const dir = directoryWith({
      'supergraph.graphql': supergraph,
      'operations/counter.graphql': '{ product(id: "p1") { name visits } }',
      'operations/names.graphql': 'query Names { products { name } }\nmutation Rename { rename(id: "p1", name: "Urn") { name } }',
    });

    const run = await runDiff(['--supergraph', 'supergraph.graphql', '--operations', 'operations'], { cwd: dir });

    // Stock's fetch counted 1, ours cold 2, ours warm answered 2 from its cache, ours off 3.
    expect(outcomes(run.stdout)).toEqual([
      'differs  counter  (counter.graphql)',
      '    ours, response cache cold and warm: data.product.visits: stock 1, ours 2',
      '    ours, response cache off: data.product.visits: stock 1, ours 3',
      // The entity cache alone: its cold fetch counted 4, and its warm answer came from that cached fetch.
      '    ours, entity cache alone cold and warm: data.product.visits: stock 1, ours 4',
      'same     Names  (names.graphql)',
      'skipped  Rename  (names.graphql): a mutation (pass --allow-mutations to run it 6 times)',
      '',
      '2 compared: 1 same, 1 differ; 1 skipped.',
    ]);
    expect(run.code).toBe(1);
    expect(log.renames).toBe(0);
  });

  it('refuses bad arguments with the reason and the usage, and exits 2', { timeout: 60_000 }, async () => {
    const dir = directoryWith({ 'operations/products.graphql': 'query Products { products { id } }' });

    const run = await runDiff(['--operations', 'operations'], { cwd: dir });

    expect(run.stderr).toContain('federation:diff: missing --supergraph\n');
    expect(run.stderr).toContain('Usage: npm run federation:diff -- --supergraph <file> --operations <dir> [options]');
    expect(run.stdout).toBe('');
    expect(run.code).toBe(2);
  });
});
