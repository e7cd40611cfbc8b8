import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/kernel/config.js';
import { checkSignature, signContent } from '../../lib/kernel/request-signature.js';

const SECRET = 'a-shared-secret-of-at-least-32-characters';
const BODY = '{"query":"{ __typename }"}';

describe('request signatures', () => {
  it('accepts a fresh signature of the same body with the same secret', () => {
    expect(checkSignature(SECRET, signContent(SECRET, BODY), BODY)).toBe('valid');
  });

  it('refuses another body, another secret, a stale or future timestamp, a missing or malformed header', () => {
    const now = 1_700_000_000_000;
    const header = signContent(SECRET, BODY, now);
    expect(checkSignature(SECRET, header, `${BODY} `, { now })).toBe('mismatch');
    expect(checkSignature(`${SECRET}!`, header, BODY, { now })).toBe('mismatch');
    expect(checkSignature(SECRET, header, BODY, { now: now + 60_001 })).toBe('stale');
    expect(checkSignature(SECRET, header, BODY, { now: now - 60_001 })).toBe('stale');
    expect(checkSignature(SECRET, header, BODY, { now: now + 60_000 })).toBe('valid');
    expect(checkSignature(SECRET, null, BODY)).toBe('missing');
    expect(checkSignature(SECRET, 't=1,v1=zz', BODY)).toBe('malformed');
    // The timestamp is signed: moving it forward breaks the signature.
    const moved = header.replace(`t=${now}`, `t=${now + 1000}`);
    expect(checkSignature(SECRET, moved, BODY, { now })).toBe('mismatch');
  });
});

describe('subgraph configuration', () => {
  it('keeps a random signing secret in DATA_DIR outside production, and requires one in production', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-signing-'));
    try {
      const first = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: SECRET });
      expect(first.subgraphSigning.source).toBe('dev-file');
      expect(first.subgraphSigning.secret.length).toBeGreaterThanOrEqual(32);
      expect(readFileSync(join(dataDir, 'dev-subgraph-signing-secret'), 'utf8').trim()).toBe(first.subgraphSigning.secret);
      expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: SECRET }).subgraphSigning.secret).toBe(
        first.subgraphSigning.secret,
      );
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET })).toThrow(/SUBGRAPH_SIGNING_SECRET: required/);
      expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, SUBGRAPH_SIGNING_SECRET: 'short' })).toThrow(
        /SUBGRAPH_SIGNING_SECRET: must be at least 32/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('binds subgraphs to loopback unless HOST or their own *_HOST says otherwise', () => {
    const base = { NODE_ENV: 'production', JWT_SECRET: SECRET, SUBGRAPH_SIGNING_SECRET: SECRET };
    const defaults = loadConfig(base);
    expect(defaults.host).toBeUndefined();
    expect(defaults.subgraphHosts).toEqual({ users: '127.0.0.1', posts: '127.0.0.1', messages: '127.0.0.1' });
    expect(loadConfig({ ...base, HOST: '0.0.0.0', POSTS_HOST: '10.0.0.2' }).subgraphHosts).toEqual({
      users: '0.0.0.0',
      posts: '10.0.0.2',
      messages: '0.0.0.0',
    });
  });
});
