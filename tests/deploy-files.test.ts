import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildEntryPoints, REPOSITORY_ROOT } from '../scripts/build-output.js';
import { COMPOSE_NGINX_SETTINGS, NGINX_TEMPLATE_FILE } from '../scripts/cluster/nginx-config.js';

/**
 * deploy/ cannot run here (no Docker daemon): what can be checked without it is that its files
 * agree with each other and with the code. deploy/nginx.conf's upstreams are the compose
 * services, each runs a compiled entry point of the build on the port nginx sends to, every
 * process finds the subgraphs at nginx's internal endpoint, and the image runs the build on
 * plain node as an unprivileged user. (`npm run check:generated` checks that deploy/nginx.conf
 * is the template's rendering; tests/cluster.test.ts runs the same design for real.)
 */

const read = (path: string) => readFileSync(join(REPOSITORY_ROOT, path), 'utf8');

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
}
const compose = parse(read('deploy/docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
/** The services running the platform's image. */
const appServices = Object.entries(services).filter(([, service]) => service.image === 'chitlaq-graph:latest');

/** Where each process listens by default (lib/kernel/config.ts): compose sets no *_PORT. */
const DEFAULT_PORTS = { gateways: '4000', users: '4001', posts: '4002', messages: '4003' } as const;
const ENTRY_POINTS = {
  gateways: 'dist/gateway/main.js',
  users: 'dist/subgraphs/users/main.js',
  posts: 'dist/subgraphs/posts/main.js',
  messages: 'dist/subgraphs/messages/main.js',
} as const;

describe('deploy/docker-compose.yml and deploy/nginx.conf', () => {
  it('has a service for every nginx upstream, running its entry point on the port nginx sends to', () => {
    for (const kind of ['gateways', 'users', 'posts', 'messages'] as const) {
      expect(COMPOSE_NGINX_SETTINGS[kind]).toHaveLength(2);
      for (const instance of COMPOSE_NGINX_SETTINGS[kind]) {
        const [host, port] = instance.split(':') as [string, string];
        const service = services[host];
        expect(service, host).toBeDefined();
        expect(port).toBe(DEFAULT_PORTS[kind]);
        expect(service?.command?.at(-1)).toBe(ENTRY_POINTS[kind]);
        expect(service?.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
      }
    }
  });

  it('runs only compiled entry points of the build, and every long-running one behind nginx', () => {
    const built = buildEntryPoints().map((file) => `dist/${file.replace(/\.ts$/, '.js')}`);
    const upstreamHosts = Object.values(COMPOSE_NGINX_SETTINGS)
      .filter(Array.isArray)
      .flat()
      .map((instance: string) => instance.split(':')[0]);
    for (const [name, service] of appServices) {
      expect(built).toContain(service.command?.at(-1));
      expect(service.command?.[0]).toBe('node');
      if (name !== 'migrate') expect(upstreamHosts).toContain(name);
    }
    expect(appServices.map(([name]) => name).sort()).toEqual(
      ['gateway-1', 'gateway-2', 'messages-1', 'messages-2', 'migrate', 'posts-1', 'posts-2', 'users-1', 'users-2'].sort(),
    );
  });

  it("points every process at nginx's internal endpoint for each subgraph, and at the primary and the replica", () => {
    const template = readFileSync(NGINX_TEMPLATE_FILE, 'utf8');
    for (const [name, service] of appServices) {
      for (const subgraph of ['users', 'posts', 'messages']) {
        expect(service.environment?.[`${subgraph.toUpperCase()}_URL`], name).toBe(
          `http://nginx:${COMPOSE_NGINX_SETTINGS.internalListen}/${subgraph}/graphql`,
        );
        expect(template).toContain(`location = /${subgraph}/graphql {`);
      }
      expect(service.environment?.DATABASE_URL).toMatch(/@postgres-primary:5432\/chitlaq$/);
      expect(service.environment?.DATABASE_READ_URL).toMatch(/@postgres-replica:5432\/chitlaq$/);
      expect(service.environment).toMatchObject({ NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379', TRUST_PROXY: 'true' });
    }
    expect(services.nginx?.volumes).toEqual(['./nginx.conf:/etc/nginx/nginx.conf:ro']);
    expect(services.nginx?.ports).toEqual([`8080:${COMPOSE_NGINX_SETTINGS.publicListen}`]);
  });

  it('has Prometheus scrape every instance nginx balances over (deploy/prometheus/prometheus.yml)', () => {
    const scrape = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = scrape.scrape_configs.flatMap((job) => job.static_configs.flatMap((config) => config.targets));
    const { gateways, users, posts, messages } = COMPOSE_NGINX_SETTINGS;
    expect(targets.sort()).toEqual([...gateways, ...users, ...posts, ...messages].sort());
  });

  it('refuses to start without the secrets', () => {
    const text = read('deploy/docker-compose.yml');
    for (const secret of ['JWT_SECRET', 'SUBGRAPH_SIGNING_SECRET', 'POSTGRES_PASSWORD', 'REPLICATION_PASSWORD']) {
      expect(text).toContain(`\${${secret}:?set ${secret}`);
    }
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('deploy/Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1) ?? '';

  it('builds in one stage and runs the build in another, as the unprivileged node user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtime).toMatch(/^RUN npm ci --omit=dev|^COPY --from=\w+ \/app\/node_modules/m);
    const user = runtime.indexOf('\nUSER node');
    expect(user).toBeGreaterThan(0);
    expect(runtime.indexOf('\nCMD ')).toBeGreaterThan(user);
  });

  it('starts the gateway from dist/ on plain node, without tsx', () => {
    expect(runtime).toContain('CMD ["node", "--max-semi-space-size=64", "--enable-source-maps", "dist/gateway/main.js"]');
    expect(runtime).not.toContain('tsx');
  });
});

describe('deploy/new-env.sh', () => {
  it('writes every secret the compose file requires, random, and never replaces an existing file', () => {
    const directory = mkdtempSync(join(tmpdir(), 'chitlaq-env-'));
    try {
      copyFileSync(join(REPOSITORY_ROOT, 'deploy/new-env.sh'), join(directory, 'new-env.sh'));
      const run = () => spawnSync('bash', [join(directory, 'new-env.sh')], { encoding: 'utf8' });
      expect(run().status).toBe(0);
      const written = readFileSync(join(directory, '.env'), 'utf8');
      const values = Object.fromEntries(
        written
          .trim()
          .split('\n')
          .map((line) => line.split(/=(.*)/s).slice(0, 2)),
      );
      // `${NAME:?…}`: what compose refuses to start without.
      const required = new Set([...read('deploy/docker-compose.yml').matchAll(/\$\{(\w+):\?/g)].map((match) => match[1]));
      expect(new Set(Object.keys(values))).toEqual(required);
      for (const value of Object.values(values)) expect(String(value).length).toBeGreaterThanOrEqual(32);
      const again = run();
      expect(again.status).toBe(1);
      expect(readFileSync(join(directory, '.env'), 'utf8')).toBe(written);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
