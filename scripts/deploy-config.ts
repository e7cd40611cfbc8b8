/**
 * `npm run deploy:config`: writes deploy/nginx.conf, the docker-compose rendering of
 * deploy/nginx.conf.template (scripts/cluster/nginx-config.ts). `--check` compares instead of
 * writing and fails when the file is stale (npm run check:generated).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { COMPOSE_NGINX_CONFIG_FILE, COMPOSE_NGINX_SETTINGS, renderNginxConfig } from './cluster/nginx-config.js';

const rendered = renderNginxConfig(COMPOSE_NGINX_SETTINGS);
if (process.argv.includes('--check')) {
  if (!existsSync(COMPOSE_NGINX_CONFIG_FILE) || readFileSync(COMPOSE_NGINX_CONFIG_FILE, 'utf8') !== rendered) {
    console.error('deploy/nginx.conf is stale: run `npm run deploy:config` and commit the result.');
    process.exit(1);
  }
  console.log('deploy/nginx.conf is up to date.');
} else {
  writeFileSync(COMPOSE_NGINX_CONFIG_FILE, rendered);
  console.log('Wrote deploy/nginx.conf from deploy/nginx.conf.template.');
}
