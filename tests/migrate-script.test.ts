import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createScratchDatabase, withClient } from '../lib/infra/db/scratch-database.js';
import { usingRealPostgres } from './support/platform.js';

const run = promisify(execFile);

/** `npm run migrate` migrates every schema of an empty database, and a second run changes nothing. */
describe.skipIf(!usingRealPostgres)('npm run migrate', () => {
  it('creates every schema on an empty database, then finds them up to date', { timeout: 60_000 }, async () => {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL as string);
    try {
      const env = { ...process.env, DATABASE_URL: scratch.url, LOG_LEVEL: 'info', LOG_PRETTY: 'false' };
      const first = await run('npx', ['tsx', 'scripts/migrate.ts'], { env });
      const messages = (out: string) =>
        out
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages(first.stdout)).toEqual(['users: migrated', 'posts: migrated', 'messages: migrated']);
      const second = await run('npx', ['tsx', 'scripts/migrate.ts'], { env });
      expect(messages(second.stdout)).toEqual(['users: up to date', 'posts: up to date', 'messages: up to date']);
      const tables = await withClient(scratch.url, (client) =>
        client.query(
          "select table_schema || '.' || table_name as name from information_schema.tables where table_schema in ('users', 'posts', 'messages') and table_type = 'BASE TABLE' and table_name not like 'kysely%' order by 1",
        ),
      );
      expect(tables.rows.map((row) => row.name)).toEqual([
        'messages.conversations',
        'messages.members',
        'messages.messages',
        'posts.likes',
        'posts.post_hashtags',
        'posts.post_search',
        'posts.posts',
        'users.follows',
        'users.users',
      ]);
    } finally {
      await scratch.drop();
    }
  });
});
