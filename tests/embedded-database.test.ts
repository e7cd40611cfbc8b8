import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { PGliteDialect } from '../lib/infra/db/pglite-dialect.js';
import { loadConfig } from '../lib/kernel/config.js';
import { createLogger } from '../lib/kernel/logger.js';
import { startPlatform } from '../platform/platform.js';
import { graphql, registerUser } from './support/graphql.js';
import { TEST_JWT_SECRET } from './support/platform.js';

/** These tests are about the embedded mode itself, so they use PGlite whatever DATABASE_URL says. */

describe('PGlite dialect', () => {
  const pglite = new PGlite();
  const db = new Kysely<{ items: { value: number } }>({ dialect: new PGliteDialect(pglite) });
  afterAll(async () => {
    await db.destroy();
    await pglite.close();
  });

  it('never interleaves concurrent transactions: a rollback undoes only its own writes', async () => {
    await sql`create table items (value int not null)`.execute(db);
    // A window inside each transaction for the others to interleave: what is tested is that none does.
    const pause = () => new Promise((resolve) => setTimeout(resolve, 2));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto('items').values({ value: i }).execute();
          await pause(); // give other requests every chance to run inside this transaction
          const { count } = await trx
            .selectFrom('items')
            .select((eb) => eb.fn.countAll<number>().as('count'))
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('items')
            .values({ value: 1000 + i })
            .execute();
          if (i % 2 === 1) throw new Error(`roll back ${i} (saw ${count})`);
          return Number(count);
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(10);
    const rows = await db.selectFrom('items').select('value').orderBy('value').execute();
    const even = Array.from({ length: 10 }, (_, k) => 2 * k);
    expect(rows.map((r) => r.value)).toEqual([...even, ...even.map((v) => 1000 + v)]);
  });

  it('serves plain queries while a transaction waits', async () => {
    const [inside, outside] = await Promise.all([
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ value: -1 }).execute();
        // The transaction stays open a while: the plain query must be served meanwhile, not inside it.
        await new Promise((resolve) => setTimeout(resolve, 20));
        return (await trx.selectFrom('items').select('value').where('value', '=', -1).execute()).length;
      }),
      db.selectFrom('items').select('value').where('value', '=', -1).execute(),
    ]);
    expect(inside).toBe(1);
    // The plain query ran before or after the transaction, never inside it: it saw 0 or 1 committed rows.
    expect(outside.length).toBeLessThanOrEqual(1);
  });
});

describe('embedded platform', () => {
  it('keeps data under DATA_DIR across a restart, and handles concurrent requests', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-embedded-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      GATEWAY_PORT: '0',
      USERS_PORT: '0',
      POSTS_PORT: '0',
      MESSAGES_PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
    });
    const logger = createLogger({ level: 'silent', pretty: false });
    try {
      const first = await startPlatform(config, logger);
      expect(first.database.kind).toBe('pglite');
      // A second platform on the same data directory must refuse to open it.
      await expect(startPlatform(config, logger)).rejects.toThrow(/in use by process/);
      const users = await Promise.all(Array.from({ length: 10 }, () => registerUser(first.gatewayUrl)));
      await first.stop();

      const second = await startPlatform(config, logger);
      try {
        const logins = await Promise.all(
          users.map((user) =>
            graphql(second.gatewayUrl, 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }', {
              e: user.email,
              p: user.password,
            }),
          ),
        );
        expect(logins.map((r) => r.data.login.user.id)).toEqual(users.map((u) => u.id));
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
