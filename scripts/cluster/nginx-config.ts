import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../build-output.js';

/**
 * The nginx configuration of a deployment, from its one design, deploy/nginx.conf.template:
 * deploy/nginx.conf (docker-compose) and `npm run cluster` (loopback ports) differ only in the
 * values below.
 */

export const NGINX_TEMPLATE_FILE = join(REPOSITORY_ROOT, 'deploy', 'nginx.conf.template');
export const COMPOSE_NGINX_CONFIG_FILE = join(REPOSITORY_ROOT, 'deploy', 'nginx.conf');

/** `host:port` of each instance behind nginx. */
export interface NginxUpstreams {
  readonly gateways: readonly string[];
  readonly users: readonly string[];
  readonly posts: readonly string[];
  readonly messages: readonly string[];
}

export interface NginxSettings extends NginxUpstreams {
  /** The comment line that says where this file comes from. */
  readonly notice: string;
  readonly pidFile: string;
  /** Where nginx buffers bodies that do not fit in memory; writable by its workers. */
  readonly tempDir: string;
  /** `listen` of the public endpoint: a port, or address:port. */
  readonly publicListen: string;
  /** `listen` of the internal endpoint the gateways reach subgraphs through. */
  readonly internalListen: string;
}

/** deploy/nginx.conf: the services of deploy/docker-compose.yml, by their compose names. */
export const COMPOSE_NGINX_SETTINGS: NginxSettings = {
  notice: 'Generated from deploy/nginx.conf.template by `npm run deploy:config`: edit the template, not this file.',
  // The official nginx image's locations.
  pidFile: '/var/run/nginx.pid',
  tempDir: '/var/cache/nginx',
  publicListen: '80',
  internalListen: '4100',
  gateways: ['gateway-1:4000', 'gateway-2:4000'],
  users: ['users-1:4001', 'users-2:4001'],
  posts: ['posts-1:4002', 'posts-2:4002'],
  messages: ['messages-1:4003', 'messages-2:4003'],
};

const TEMPLATE_FIELD = /\{\{(\w+)\}\}/g;

/** The template with each `{{field}}` taken from `settings`; throws on a field `settings` lacks, or an empty list. */
export function renderNginxConfig(settings: NginxSettings, template = readFileSync(NGINX_TEMPLATE_FILE, 'utf8')): string {
  const values = settings as unknown as Record<string, string | readonly string[] | undefined>;
  const lines: string[] = [];
  for (const line of template.split('\n')) {
    if (line.startsWith('#!')) continue;
    const names = [...line.matchAll(TEMPLATE_FIELD)].map((match) => match[1] as string);
    const list = names.find((name) => Array.isArray(values[name]));
    const items = list === undefined ? [undefined] : (values[list] as readonly string[]);
    if (items.length === 0) throw new Error(`nginx config: no instances for {{${list}}}`);
    for (const item of items) {
      lines.push(
        line.replace(TEMPLATE_FIELD, (_, name: string) => {
          if (name === list) return item as string;
          const value = values[name];
          if (typeof value !== 'string') throw new Error(`nginx config: no value for {{${name}}}`);
          return value;
        }),
      );
    }
  }
  return lines.join('\n');
}
