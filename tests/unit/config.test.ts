import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/kernel/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('has defaults that run a fresh machine: ports 4000-4003, embedded database, GraphiQL on', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-config-'));
    try {
      const config = loadConfig({ DATA_DIR: dataDir });
      expect(config.ports).toEqual({ gateway: 4000, users: 4001, posts: 4002, messages: 4003 });
      expect(config.database.url).toBeUndefined();
      expect(config.redis.url).toBeUndefined();
      expect(config.graphiql).toBe(true);
      expect(config.realtime.typingTtlMs).toBe(5000);
      expect(Object.isFrozen(config)).toBe(true);
      // Outside production a development secret is created once and reused.
      expect(config.auth.key).toMatchObject({ algorithm: 'HS256', source: 'dev-file' });
      const secretFile = join(dataDir, 'dev-jwt-secret');
      expect(existsSync(secretFile)).toBe(true);
      const again = loadConfig({ DATA_DIR: dataDir });
      expect(again.auth.key).toEqual(config.auth.key);
      expect(readFileSync(secretFile, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("pools PostgreSQL with the seed's settings unless told otherwise; DATABASE_POOL_SIZE is the maximum", () => {
    const base = { DATA_DIR: tmpdir(), DATABASE_URL: 'postgres://db/app' };
    expect(loadConfig(base).database.pool).toEqual({
      max: 20,
      min: 5,
      idleTimeoutMs: 30_000,
      connectionTimeoutMs: 2000,
      statementTimeoutMs: 30_000,
    });
    expect(loadConfig(base).database.readYourWritesMs).toBe(5000);
    // A pool smaller than the default minimum keeps all of its connections warm.
    expect(loadConfig({ ...base, DATABASE_POOL_SIZE: '3' }).database.pool).toMatchObject({ max: 3, min: 3 });
    expect(
      loadConfig({ ...base, DATABASE_POOL_MIN: '0', DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_READ_URL: 'postgres://r/app' })
        .database,
    ).toMatchObject({ readUrl: 'postgres://r/app', pool: { min: 0, statementTimeoutMs: 0 } });
  });

  it('refuses a pool minimum above its maximum, and a read replica without DATABASE_URL', () => {
    expect(
      problemsOf({ DATA_DIR: tmpdir(), DATABASE_URL: 'postgres://db/app', DATABASE_POOL_SIZE: '4', DATABASE_POOL_MIN: '5' }),
    ).toEqual(['DATABASE_POOL_MIN: must not exceed DATABASE_POOL_SIZE (4)']);
    expect(problemsOf({ DATA_DIR: tmpdir(), DATABASE_READ_URL: 'postgres://r/app' })).toEqual([
      'DATABASE_READ_URL: needs DATABASE_URL (the embedded database has no replica)',
    ]);
  });

  it('warns about requests from 1 s and SQL statements from 100 ms unless SLOW_REQUEST_MS / SLOW_QUERY_MS say otherwise', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-config-'));
    try {
      expect(loadConfig({ DATA_DIR: dataDir }).log).toMatchObject({ slowRequestMs: 1000, slowQueryMs: 100 });
      expect(loadConfig({ DATA_DIR: dataDir, SLOW_REQUEST_MS: '0', SLOW_QUERY_MS: '5' }).log).toMatchObject({
        slowRequestMs: 0,
        slowQueryMs: 5,
      });
      expect(problemsOf({ DATA_DIR: dataDir, SLOW_REQUEST_MS: '-1', SLOW_QUERY_MS: 'soon' })).toEqual([
        expect.stringContaining('SLOW_REQUEST_MS'),
        expect.stringContaining('SLOW_QUERY_MS'),
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      GATEWAY_PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: 'http://x',
      JWT_SECRET: 'short',
      TYPING_TTL_MS: '10',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['GATEWAY_PORT', 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'TYPING_TTL_MS']),
    );
    expect(problems).toHaveLength(5);
  });

  it('requires a JWT key in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^JWT_SECRET: required in production/),
      'SUBGRAPH_SIGNING_SECRET: required in production',
    ]);
  });

  it('refuses both an HS256 secret and EdDSA keys', () => {
    const problems = problemsOf({ JWT_SECRET: 'x'.repeat(40), JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' });
    expect(problems).toEqual([expect.stringMatching(/not both/)]);
  });
});
