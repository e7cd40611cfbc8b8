import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { withClient } from '../lib/infra/db/scratch-database.js';
import { createPost } from './support/actions.js';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { usePlatform, usingRealPostgres } from './support/platform.js';
import { until } from './support/until.js';

/**
 * PostgreSQL connections die (a failover, an operator's pg_terminate_backend, an idle timeout in
 * a proxy): the process must survive it and answer again within a few seconds. Only this test's
 * own scratch database has its backends terminated.
 */
describe.skipIf(!usingRealPostgres)('lost PostgreSQL connections', () => {
  const platform = usePlatform();
  let author: TestUser;

  beforeAll(async () => {
    author = await registerUser(platform.gatewayUrl);
  });

  /** Terminates every backend of the platform's own database but the one that asks. */
  async function terminateBackends(): Promise<number> {
    const url = platform.config.database.url as string;
    const name = new URL(url).pathname.slice(1);
    const result = await withClient(url, (client) =>
      client.query(
        'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      ),
    );
    return result.rows[0].n as number;
  }

  it('a connection killed while checked out between statements does not crash the process', async () => {
    const { kysely } = platform.database;
    // A transaction holds its connection between statements, with no query running on it: the
    // moment a terminated backend's error has no query to go to.
    const failed = kysely
      .transaction()
      .execute(async (trx) => {
        await sql`select 1`.execute(trx);
        expect(await terminateBackends()).toBeGreaterThan(0);
        // A window for the termination to reach the idle connection: no event of the pool says
        // it did, and an error arriving with no query running is what is tested.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await sql`select 1`.execute(trx);
      })
      .then(
        () => 'committed',
        () => 'failed',
      );
    expect(await failed).toBe('failed');
    // The pool dropped the dead connection: the next statement gets a fresh one.
    const rows = await sql<{ one: number }>`select 1 as one`.execute(kysely);
    expect(rows.rows).toEqual([{ one: 1 }]);
  });

  it('under load, terminating the backends five times leaves every subgraph answering', async () => {
    const post = await createPost(platform.gatewayUrl, author, 'still here after a failover');
    let stop = false;
    let sent = 0;
    // Reads and writes of every subgraph, back to back, while the backends are killed.
    const load = (async () => {
      while (!stop) {
        sent += 1;
        await Promise.all([
          graphql(platform.gatewayUrl, 'query ($id: ID!) { post(id: $id) { id author { username } } }', { id: post.id }),
          graphql(
            platform.gatewayUrl,
            'mutation ($c: String!) { createPost(content: $c) { id } }',
            { c: `load ${sent}` },
            {
              token: author.token,
            },
          ),
          graphql(platform.gatewayUrl, '{ conversations(first: 1) { nodes { id } } }', {}, { token: author.token }),
        ]);
      }
    })();
    // Between terminations the load completes a round: each one hits requests in flight.
    for (let round = 0; round < 5; round += 1) {
      await terminateBackends();
      const at = sent;
      await until(() => sent > at, 10_000);
    }
    stop = true;
    await load;
    expect(sent).toBeGreaterThan(5);

    // Within a few seconds of the last termination, everything answers again.
    const deadline = Date.now() + 5000;
    let last: unknown;
    for (;;) {
      const [read, write, conversations] = await Promise.all([
        graphql(platform.gatewayUrl, 'query ($id: ID!) { post(id: $id) { id author { username } } }', { id: post.id }),
        graphql(
          platform.gatewayUrl,
          'mutation { createPost(content: "after the storm") { content } }',
          {},
          {
            token: author.token,
          },
        ),
        graphql(platform.gatewayUrl, '{ me { username } conversations(first: 1) { nodes { id } } }', {}, { token: author.token }),
      ]);
      last = { read, write, conversations };
      if (read.errors === undefined && write.errors === undefined && conversations.errors === undefined) {
        expect(read.data).toEqual({ post: { id: post.id, author: { username: author.username } } });
        expect(write.data).toEqual({ createPost: { content: 'after the storm' } });
        expect(conversations.data).toEqual({ me: { username: author.username }, conversations: { nodes: [] } });
        break;
      }
      // Asked again as soon as the last answers came back.
      if (Date.now() > deadline) throw new Error(`still failing: ${JSON.stringify(last)}`);
    }
  });
});
