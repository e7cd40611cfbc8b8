import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/kernel/config.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-jwt-secret-of-at-least-32-characters-long',
  SUBGRAPH_SIGNING_SECRET: 'a-signing-secret-of-at-least-32-characters',
};

describe('production defaults', () => {
  it('turns introspection and GraphiQL off in production unless set', () => {
    const config = loadConfig(PRODUCTION);
    expect([config.introspection, config.graphiql]).toEqual([false, false]);
    const explicit = loadConfig({ ...PRODUCTION, INTROSPECTION: 'true', GRAPHIQL: 'true' });
    expect([explicit.introspection, explicit.graphiql]).toEqual([true, true]);
  });

  it('keeps them on elsewhere unless set', () => {
    const base = { ...PRODUCTION, DATA_DIR: '/tmp/chitlaq-unused' };
    const test = loadConfig({ ...base, NODE_ENV: 'test' });
    expect([test.introspection, test.graphiql]).toEqual([true, true]);
    const off = loadConfig({ ...base, NODE_ENV: 'development', INTROSPECTION: 'false', GRAPHIQL: 'false' });
    expect([off.introspection, off.graphiql]).toEqual([false, false]);
  });
});
