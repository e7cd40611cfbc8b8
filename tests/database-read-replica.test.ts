import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PoolName } from '../lib/infra/db/database.js';
import { createScratchDatabase, withClient } from '../lib/infra/db/scratch-database.js';
import {
  type LocalPostgres,
  postgresBinDir,
  startLocalPostgres,
  startStreamingReplica,
  waitForReplay,
} from '../scripts/postgres-cluster.js';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { TEST_JWT_SECRET, usePlatform, usingRealPostgres } from './support/platform.js';

/**
 * DATABASE_READ_URL routing (lib/service/read-routing.ts), against two real databases: the
 * "replica" is a second database on the same server whose rows differ from the primary's, so
 * every answer shows which one it was read from; the platform's statement log says the same.
 */
describe.skipIf(!usingRealPostgres)('reads on the replica, writes and read-your-writes on the primary', () => {
  let replica: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    const template = inject('postgresTemplate');
    replica = await createScratchDatabase(process.env.DATABASE_URL as string, template === undefined ? {} : { template });
  });
  afterAll(() => replica?.drop());

  const platform = usePlatform(() => ({
    DATABASE_READ_URL: replica.url,
    // Answers must come from the subgraphs, not from the gateway's cache.
    RESPONSE_CACHE_ENABLED: 'false',
  }));
  let bea: TestUser;
  let cleo: TestUser;
  /** Bea's token issued an hour ago: a viewer who has neither signed in nor written lately. */
  let beaEarlierToken: string;
  const tag = `replica${Date.now().toString(36)}`;

  const onReplica = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    withClient(replica.url, (client) => client.query<T>(text, values));

  beforeAll(async () => {
    bea = await registerUser(platform.gatewayUrl);
    cleo = await registerUser(platform.gatewayUrl);
    beaEarlierToken = await tokenIssuedAgo(bea.id, 3600);
    // The gateway checks that a viewer's account exists once a minute, on the primary (an
    // account registered a moment ago must pass; gateway/viewer-accounts.ts). Done once here, so
    // the tests below see only their operations' own statements.
    await graphql(platform.gatewayUrl, '{ me { id } }', {}, { token: beaEarlierToken });
    // The replica has both accounts, and more than the primary: Bea follows Cleo there, Cleo
    // posted there and is called differently there.
    await withClient(platform.config.database.url as string, async (primary) => {
      const { rows } = await primary.query('select row_to_json(u) as row from users.users u where id = any($1)', [
        [bea.id, cleo.id],
      ]);
      for (const { row } of rows) {
        await onReplica('insert into users.users select * from json_populate_record(null::users.users, $1)', [row]);
      }
    });
    await onReplica(`update users.users set display_name = 'Cleo on the replica' where id = $1`, [cleo.id]);
    await onReplica('insert into users.follows (follower_id, followee_id) values ($1, $2)', [bea.id, cleo.id]);
    await onReplica('insert into posts.posts (author_id, content, hashtags) values ($1, $2, $3)', [
      cleo.id,
      `Only the replica has this post #${tag}`,
      [tag],
    ]);
  });

  /** Runs `request` and returns its answer with the pool of every SQL statement it caused. */
  async function withPools<T>(request: () => Promise<T>): Promise<{ answer: T; pools: Set<PoolName> }> {
    const pools = new Set<PoolName>();
    const stop = platform.database.onQuery((executed) => pools.add(executed.pool));
    try {
      return { answer: await request(), pools };
    } finally {
      stop();
    }
  }

  it('serves anonymous profiles and post search from the replica', async () => {
    const { answer, pools } = await withPools(() =>
      graphql(
        platform.gatewayUrl,
        'query ($u: String!, $q: String!) { user(username: $u) { displayName } searchPosts(query: $q, first: 5) { nodes { content } } }',
        {
          u: cleo.username,
          q: tag,
        },
      ),
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({
      user: { displayName: 'Cleo on the replica' },
      searchPosts: { nodes: [{ content: `Only the replica has this post #${tag}` }] },
    });
    expect([...pools]).toEqual(['replica']);
  });

  it('serves the feed of a viewer who has not written lately from the replica', async () => {
    const { answer, pools } = await withPools(() =>
      graphql(
        platform.gatewayUrl,
        '{ feed(first: 5) { nodes { content author { displayName } } } }',
        {},
        { token: beaEarlierToken },
      ),
    );
    expect(answer.data).toEqual({
      feed: { nodes: [{ content: `Only the replica has this post #${tag}`, author: { displayName: 'Cleo on the replica' } }] },
    });
    expect([...pools]).toEqual(['replica']);
  });

  it('reads a newly signed-in viewer from the primary', async () => {
    const login = await graphql<{ login: { token: string } }>(
      platform.gatewayUrl,
      'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
      {
        e: cleo.email,
        p: cleo.password,
      },
    );
    const token = login.data?.login.token as string;
    const { answer, pools } = await withPools(() => graphql(platform.gatewayUrl, '{ me { displayName } }', {}, { token }));
    expect(answer.data).toEqual({ me: { displayName: `Student ${cleo.username}` } });
    expect([...pools]).toEqual(['primary']);
  });

  it('runs a mutation on the primary, then reads that viewer from the primary; others still read the replica', async () => {
    const update = await withPools(() =>
      graphql(
        platform.gatewayUrl,
        'mutation { updateProfile(input: { displayName: "Bea, renamed" }) { displayName } }',
        {},
        { token: beaEarlierToken },
      ),
    );
    expect(update.answer.data).toEqual({ updateProfile: { displayName: 'Bea, renamed' } });
    expect([...update.pools]).toEqual(['primary']);

    // Her own profile and feed right after: the primary (renamed; no follow, so an empty feed).
    const own = await withPools(() =>
      graphql(platform.gatewayUrl, '{ me { displayName } feed(first: 5) { nodes { content } } }', {}, { token: beaEarlierToken }),
    );
    expect(own.answer.data).toEqual({ me: { displayName: 'Bea, renamed' }, feed: { nodes: [] } });
    expect([...own.pools]).toEqual(['primary']);

    // Anyone else reads the replica, which has not seen the rename.
    const others = await withPools(() =>
      graphql(platform.gatewayUrl, 'query ($u: String!) { user(username: $u) { displayName } }', { u: bea.username }),
    );
    expect(others.answer.data).toEqual({ user: { displayName: `Student ${bea.username}` } });
    expect([...others.pools]).toEqual(['replica']);
  });

  it('reports each pool in the metrics: pool gauges and SQL statements labelled primary and replica', async () => {
    const text = await (await fetch(platform.subgraphs.users.url.replace('/graphql', '/metrics'))).text();
    expect(text).toMatch(/^db_pool_connections\{pool="primary",state="total",service="users"\} [1-9]/m);
    expect(text).toMatch(/^db_pool_connections\{pool="replica",state="total",service="users"\} [1-9]/m);
    expect(text).toMatch(/^db_pool_waiting_requests\{pool="replica",service="users"\} 0$/m);
    expect(text).toMatch(/^sql_statement_duration_seconds_count\{service="users",outcome="success",pool="replica"\} [1-9]/m);
  });
});

/** A token for `userId` as the platform signs them, issued `seconds` ago. */
function tokenIssuedAgo(userId: string, seconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer('chitlaq')
    .setAudience('chitlaq-graph')
    .setIssuedAt(now - seconds)
    .setExpirationTime(now + 3600)
    .sign(createSecretKey(Buffer.from(TEST_JWT_SECRET, 'utf8')));
}

/**
 * The same routing on a real streaming replica of a primary of the test's own
 * (scripts/postgres-cluster.ts): the replica is read-only, so a write routed there would fail.
 */
describe.skipIf(!usingRealPostgres || postgresBinDir() === undefined)('on a real streaming replica', () => {
  let primary: LocalPostgres;
  let standby: LocalPostgres;
  beforeAll(async () => {
    primary = await startLocalPostgres();
    standby = await startStreamingReplica(primary);
  });
  afterAll(async () => {
    await standby?.stop();
    await primary?.stop();
  });

  const platform = usePlatform(() => ({
    DATABASE_URL: primary.url,
    DATABASE_READ_URL: standby.url,
    RESPONSE_CACHE_ENABLED: 'false',
  }));

  it('migrates and writes on the primary, and serves anonymous reads from the replica once replayed', async () => {
    const { rows } = await withClient(standby.url, (client) =>
      client.query<{ recovery: boolean }>('select pg_is_in_recovery() as recovery'),
    );
    expect(rows).toEqual([{ recovery: true }]);
    // Registration writes (the replica would refuse them: read-only).
    const ada = await registerUser(platform.gatewayUrl);
    await waitForReplay(primary, standby);
    const pools = new Set<PoolName>();
    const stop = platform.database.onQuery((executed) => pools.add(executed.pool));
    const found = await graphql(
      platform.gatewayUrl,
      'query ($q: String!) { searchUsers(query: $q, first: 1) { nodes { id } } }',
      {
        q: ada.username,
      },
    ).finally(stop);
    expect(found.data).toEqual({ searchUsers: { nodes: [{ id: ada.id }] } });
    expect([...pools]).toEqual(['replica']);
    // The replica's own view: the platform's connections are there, named after it.
    const replicaSessions = await withClient(standby.url, (client) =>
      client.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where application_name = 'chitlaq-platform'`),
    );
    expect(replicaSessions.rows[0]?.n).toBeGreaterThan(0);
  });
});
