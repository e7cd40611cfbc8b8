import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClient } from '../lib/infra/db/scratch-database.js';
import { type LocalPostgres, postgresBinDir, startLocalPostgres } from '../scripts/postgres-cluster.js';
import { usePlatform, usingRealPostgres } from './support/platform.js';

const run = promisify(execFile);
const root = new URL('../', import.meta.url).pathname;

/** `npm run db:report` as an operator runs it, against `url`. */
async function dbReport(url: string): Promise<string> {
  const { stdout } = await run('npx', ['tsx', 'scripts/db-report.ts', '--limit', '50'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, DATABASE_READ_URL: '', LOG_LEVEL: 'silent' },
  });
  return stdout;
}

describe.skipIf(!usingRealPostgres)('npm run db:report on the run’s PostgreSQL', () => {
  const platform = usePlatform();
  let preloaded = false;

  beforeAll(async () => {
    const { rows } = await withClient(platform.config.database.url as string, (client) =>
      client.query<{ on: boolean }>(`select current_setting('shared_preload_libraries') like '%pg_stat_statements%' as on`),
    );
    preloaded = rows[0]?.on === true;
  });

  it('reports the statements, or says that pg_stat_statements is not loaded and how to load it; and the unused indexes', async () => {
    const report = await dbReport(platform.config.database.url as string);
    expect(report).toContain('Slowest statements (mean time, pg_stat_statements)');
    if (preloaded) {
      expect(report).toMatch(/not created in this database|ms mean/);
    } else {
      expect(report).toContain("shared_preload_libraries = 'pg_stat_statements'");
      expect(report).toContain('CREATE EXTENSION pg_stat_statements;');
    }
    // A migrated database nobody has searched by university yet.
    expect(report).toContain('users.users_university_idx on users');
    expect(report).not.toContain('users_pkey');
  });
});

/** A server of the test's own, started with the extension preloaded: the report's other half. */
describe.skipIf(!usingRealPostgres || postgresBinDir() === undefined)('npm run db:report with pg_stat_statements loaded', () => {
  let server: LocalPostgres;

  beforeAll(async () => {
    server = await startLocalPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
    await run('npx', ['tsx', 'scripts/migrate.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: server.url, LOG_LEVEL: 'silent' },
    });
  });
  afterAll(() => server?.stop());

  it('asks for CREATE EXTENSION while the extension is loaded but not created', async () => {
    const report = await dbReport(server.url);
    expect(report).toContain(
      'pg_stat_statements is loaded but not created in this database. To enable it:\n  CREATE EXTENSION pg_stat_statements;',
    );
  });

  it('lists the slowest statements by mean time, the slowest first', async () => {
    await withClient(server.url, async (client) => {
      await client.query('create extension if not exists pg_stat_statements');
      await client.query('select pg_sleep(0.2) as slow_one');
    });
    const report = await dbReport(server.url);
    const lines = report.split('\n');
    const first = lines[lines.indexOf('Slowest statements (mean time, pg_stat_statements)') + 1] ?? '';
    expect(first).toMatch(/^ +\d+\.\d\d ms mean +1 calls +\d+ ms total {2}select pg_sleep\(\$1\) as slow_one$/);
    expect(Number(first.trim().split(' ')[0])).toBeGreaterThanOrEqual(200);
    expect(report).toContain('posts.likes_user_idx on likes');
  });
});
