import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { freePort } from '../../scripts/free-port.js';
import { resolvePeerModule } from './peer-install.js';
import { type ServiceProcess, startProcess } from './processes.js';

/**
 * The peers our gateway is compared with, each started as its own process on the same
 * supergraph (its routing URLs pointed at the benchmark's subgraph processes), each from the
 * bench/peers package (bench/support/peer-install.ts installs it):
 *
 * - apollo-server: Apollo Server 5 standalone + @apollo/gateway (bench/peers/apollo-server.ts);
 * - hive-gateway: the @graphql-hive/gateway CLI, `hive-gateway supergraph <file> --fork 1`;
 * - hive-gateway-rust-planner: the same CLI and config with the Hive Router runtime
 *   (@graphql-hive/router-runtime: the Rust query planner as a native addon, and its executor).
 *
 * None has a response cache (none enables one by default); all run NODE_ENV=production.
 * All sign their subgraph requests with `signingSecret` (PEER_SUBGRAPH_SIGNING_SECRET), the
 * SUBGRAPH_SIGNING_SECRET the subgraphs were given, as our gateway does: the subgraphs refuse
 * unsigned requests.
 */

export interface Peer {
  readonly name: string;
  readonly url: string;
  readonly settings: string;
  readonly process: ServiceProcess;
}

/** supergraph.graphql with each `@join__graph(name, url)` pointed at `urls[name]`, written to a temporary file. */
export function writeSupergraph(urls: Readonly<Record<string, string>>): string {
  const sdl = readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8').replace(
    /@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g,
    (whole, name: string) => (urls[name] === undefined ? whole : `@join__graph(name: "${name}", url: "${urls[name]}")`),
  );
  const file = join(mkdtempSync(join(tmpdir(), 'chitlaq-bench-')), 'supergraph.graphql');
  writeFileSync(file, sdl);
  return file;
}

/** Resolves when `url` answers `{ __typename }` with HTTP 200 (every gateway does once its schema is loaded). */
export async function waitForGraphql(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not answering after ${timeoutMs} ms`);
    await sleep(200);
  }
}

const PEER_ENV = { NODE_ENV: 'production', APOLLO_TELEMETRY_DISABLED: 'true', LOG_LEVEL: 'warn' };

/** `cpus`: the core list the peer runs on (`taskset -c`, bench/support/cpu-pinning.ts), or null. */
export async function startApolloServerPeer(supergraphFile: string, signingSecret: string, cpus: string | null): Promise<Peer> {
  const port = await freePort();
  const process = startProcess(
    'apollo-server',
    'bench/peers/apollo-server.ts',
    {
      ...PEER_ENV,
      PEER_PORT: String(port),
      PEER_SUPERGRAPH: supergraphFile,
      PEER_SUBGRAPH_SIGNING_SECRET: signingSecret,
    },
    [],
    { cpus },
  );
  const url = `http://127.0.0.1:${port}/`;
  await waitForGraphql(url);
  return {
    name: 'apollo-server',
    url,
    settings:
      'Apollo Server 5.5.1 startStandaloneServer + @apollo/gateway 2.14 (supergraphSdl), defaults: no response cache, no usage reporting, NODE_ENV=production; subgraph requests signed (willSendRequest)',
    process,
  };
}

/**
 * Hive Gateway; with `routerRuntime`, on the Rust query planner (PEER_HIVE_ROUTER_RUNTIME=true
 * makes bench/peers/hive-gateway.config.ts set `unifiedGraphHandler` from
 * @graphql-hive/router-runtime, so a missing package fails the start instead of falling back).
 */
export async function startHiveGatewayPeer(
  supergraphFile: string,
  signingSecret: string,
  options: { routerRuntime: boolean; cpus: string | null },
): Promise<Peer> {
  const port = await freePort();
  const name = options.routerRuntime ? 'hive-gateway-rust-planner' : 'hive-gateway';
  const bin = join(dirname(resolvePeerModule('@graphql-hive/gateway/package.json')), 'dist', 'bin.js');
  // The CLI loads the TypeScript config itself (@graphql-hive/importer): no tsx.
  const config = fileURLToPath(new URL('../peers/hive-gateway.config.ts', import.meta.url));
  const process = startProcess(
    name,
    bin,
    { ...PEER_ENV, PEER_SUBGRAPH_SIGNING_SECRET: signingSecret, PEER_HIVE_ROUTER_RUNTIME: String(options.routerRuntime) },
    ['supergraph', supergraphFile, '--config-path', config, '--port', String(port), '--host', '127.0.0.1', '--fork', '1'],
    { tsx: false, cpus: options.cpus },
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitForGraphql(url);
  const runtime = options.routerRuntime
    ? ', Hive Router runtime (@graphql-hive/router-runtime 1.4.23: Rust query planner, native addon)'
    : ', default (stitching) runtime';
  return {
    name,
    url,
    settings: `Hive Gateway 2.15.1 CLI \`supergraph <file> --fork 1\` (one process)${runtime}, defaults: no response cache, no JIT, masked errors, NODE_ENV=production; subgraph requests signed (bench/peers/hive-gateway.config.ts, an onFetch plugin)`,
    process,
  };
}

/** HTTP status and parsed body of one POST of `body` to `url`, as the load generator sends it. */
async function post(url: string, body: string): Promise<{ status: number; json: { data?: unknown; errors?: unknown } | null }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  const text = await response.text();
  try {
    return { status: response.status, json: JSON.parse(text) };
  } catch {
    return { status: response.status, json: null };
  }
}

/**
 * Throws unless every peer answers each of `bodies` with HTTP 200, no `errors` and the same
 * `data` as our gateway at `referenceUrl`: a peer answering errors (a 401 from a subgraph, a
 * broken plan) would be measured as fast and make the comparison meaningless.
 */
export async function assertPeersAgree(referenceUrl: string, peers: readonly Peer[], bodies: readonly string[]): Promise<void> {
  for (const body of bodies) {
    const ours = await post(referenceUrl, body);
    if (ours.status !== 200 || ours.json?.errors !== undefined || ours.json?.data == null)
      throw new Error(`peer check: our gateway did not answer ${body}: HTTP ${ours.status} ${JSON.stringify(ours.json)}`);
    for (const peer of peers) {
      const theirs = await post(peer.url, body);
      if (theirs.status !== 200 || theirs.json?.errors !== undefined || !isDeepStrictEqual(theirs.json?.data, ours.json.data))
        throw new Error(
          `peer check: ${peer.name} answered ${body} with HTTP ${theirs.status} ${JSON.stringify(theirs.json).slice(0, 500)}, not our data`,
        );
    }
  }
}
