import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { withClient } from '../lib/infra/db/scratch-database.js';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform, usingRealPostgres } from './support/platform.js';

/**
 * The pool settings of lib/kernel/config.ts reach PostgreSQL itself: the connections carry the
 * process's application_name and statement_timeout, `min` of them are open from the start, and a
 * statement the server cancels for its timeout is a SUBGRAPH_TIMEOUT for the client.
 */
describe.skipIf(!usingRealPostgres)('PostgreSQL pool settings', () => {
  const platform = usePlatform({ DATABASE_POOL_SIZE: '6', DATABASE_POOL_MIN: '3', DATABASE_STATEMENT_TIMEOUT_MS: '300' });
  let ada: TestUser;

  beforeAll(async () => {
    ada = await registerUser(platform.gatewayUrl);
  });

  const databaseName = () => new URL(platform.config.database.url as string).pathname.slice(1);

  it('opens DATABASE_POOL_MIN connections named after the process, each with the statement_timeout', async () => {
    const { rows } = await withClient(platform.config.database.url as string, (client) =>
      client.query<{ application_name: string; n: number }>(
        `select application_name, count(*)::int as n from pg_stat_activity
          where datname = $1 and pid <> pg_backend_pid() group by application_name`,
        [databaseName()],
      ),
    );
    const names = Object.fromEntries(rows.map((row) => [row.application_name, row.n]));
    expect(Object.keys(names)).toEqual(['chitlaq-platform']);
    expect(names['chitlaq-platform']).toBeGreaterThanOrEqual(3);
    expect(names['chitlaq-platform']).toBeLessThanOrEqual(6);
    const shown = await sql<{ statement_timeout: string; application_name: string }>`
      select current_setting('statement_timeout') as statement_timeout, current_setting('application_name') as application_name`.execute(
      platform.database.kysely,
    );
    expect(shown.rows).toEqual([{ statement_timeout: '300ms', application_name: 'chitlaq-platform' }]);
  });

  it('answers SUBGRAPH_TIMEOUT naming the subgraph when a statement runs past statement_timeout, and serves on', async () => {
    const update = 'mutation ($name: String!) { updateProfile(input: { displayName: $name }) { displayName } }';
    // A transaction of the test's own holds Ada's row: her update waits on the lock until the
    // server cancels it after 300 ms.
    const response = await withClient(platform.config.database.url as string, async (client) => {
      await client.query('begin');
      await client.query('select 1 from users.users where id = $1 for update', [ada.id]);
      try {
        return await graphql(platform.gatewayUrl, update, { name: 'Blocked' }, { token: ada.token });
      } finally {
        await client.query('rollback');
      }
    });
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: 'The users service did not answer in time.',
        path: ['updateProfile'],
        extensions: expect.objectContaining({ code: 'SUBGRAPH_TIMEOUT', serviceName: 'users' }),
      }),
    ]);
    const after = await graphql<{ updateProfile: { displayName: string } }>(
      platform.gatewayUrl,
      update,
      { name: 'Unblocked' },
      { token: ada.token },
    );
    expect(after.errors).toBeUndefined();
    expect(after.data).toEqual({ updateProfile: { displayName: 'Unblocked' } });
  });
});
