import { freePort } from '../../scripts/free-port.js';
import type { CpuPinning } from './cpu-pinning.js';
import { type ServiceProcess, startProcess, waitUntilReady } from './processes.js';

/** The JWT secret every benchmark process shares, so the harness can sign viewers' tokens. */
export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';

/** Limits high enough that one machine's load generator (every request from 127.0.0.1) is never refused. */
export const BENCH_RATE_LIMITS = {
  RATE_LIMIT_PER_MINUTE: '1000000000',
  LOGIN_ATTEMPTS_PER_15_MIN: '1000000000',
  REGISTER_ATTEMPTS_PER_HOUR: '1000000000',
} as const;

export interface RunningPlatform {
  readonly gatewayUrl: string;
  readonly subgraphUrls: { readonly users: string; readonly posts: string; readonly messages: string };
  /** The environment the services got (extra gateways started later reuse it). */
  readonly env: Readonly<Record<string, string>>;
  readonly processes: ServiceProcess[];
  /** Starts one more gateway process on the same subgraphs, with `extraEnv` on top. */
  startGateway(name: string, extraEnv?: Readonly<Record<string, string>>): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the users, posts and messages subgraphs and one gateway as separate processes (as
 * in a deployment) on free ports, on `databaseUrl` and `redisUrl`, and waits until each is ready;
 * with `pinning`, the gateways on its gateway core and the subgraphs on the other.
 */
export async function startPlatformProcesses(options: {
  databaseUrl: string;
  redisUrl: string;
  env?: Readonly<Record<string, string>>;
  gatewayEnv?: Readonly<Record<string, string>>;
  pinning?: CpuPinning;
}): Promise<RunningPlatform> {
  const processes: ServiceProcess[] = [];
  const stop = async () => {
    for (const service of [...processes].reverse()) await service.stop();
  };
  try {
    const ports = { users: await freePort(), posts: await freePort(), messages: await freePort() };
    const subgraphUrls = {
      users: `http://127.0.0.1:${ports.users}/graphql`,
      posts: `http://127.0.0.1:${ports.posts}/graphql`,
      messages: `http://127.0.0.1:${ports.messages}/graphql`,
    };
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      JWT_SECRET: BENCH_JWT_SECRET,
      // Production requires it; the gateway signs each subgraph request with it.
      SUBGRAPH_SIGNING_SECRET: `${BENCH_JWT_SECRET}-subgraphs`,
      GRAPHIQL: 'false',
      HOST: '127.0.0.1',
      USERS_PORT: String(ports.users),
      POSTS_PORT: String(ports.posts),
      MESSAGES_PORT: String(ports.messages),
      USERS_URL: subgraphUrls.users,
      POSTS_URL: subgraphUrls.posts,
      MESSAGES_URL: subgraphUrls.messages,
      ...BENCH_RATE_LIMITS,
      ...options.env,
    };
    // Users first (each migrates its schema at start, and posts reads a view users creates),
    // then posts and messages together.
    const startSubgraph = async (name: 'users' | 'posts' | 'messages') => {
      processes.push(startProcess(name, `subgraphs/${name}/main.ts`, env, [], { cpus: options.pinning?.restCpus }));
      await waitUntilReady(`http://127.0.0.1:${ports[name]}/readyz`);
    };
    await startSubgraph('users');
    await Promise.all([startSubgraph('posts'), startSubgraph('messages')]);
    const startGateway = async (name: string, extraEnv: Readonly<Record<string, string>> = {}) => {
      const port = await freePort();
      // The V8 flag `npm run start:gateway` sets (gateway/README.md, "Measured").
      const gatewayEnv = { ...env, NODE_OPTIONS: '--max-semi-space-size=64', ...extraEnv, GATEWAY_PORT: String(port) };
      processes.push(startProcess(name, 'gateway/main.ts', gatewayEnv, [], { cpus: options.pinning?.gatewayCpus }));
      await waitUntilReady(`http://127.0.0.1:${port}/readyz`);
      return `http://127.0.0.1:${port}/graphql`;
    };
    const gatewayUrl = await startGateway('gateway', options.gatewayEnv);
    return { gatewayUrl, subgraphUrls, env, processes, startGateway, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
