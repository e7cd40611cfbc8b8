import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, gatewaySettingsFrom } from '../gateway/server.js';
import { type RunningServer, startHttpServer } from '../lib/infra/http-server.js';
import { createLogger } from '../lib/kernel/logger.js';
import { errorCodes, graphql } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let orphan: RunningServer;
let stopOrphan: () => Promise<void>;

beforeAll(async () => {
  // A second gateway whose users subgraph is unreachable (nothing listens on that port).
  const gateway = await createGateway({
    subgraphUrls: { users: 'http://127.0.0.1:9/graphql' },
    tokens: platform.tokens,
    store: platform.store,
    logger: createLogger({ level: 'silent', pretty: false }),
    ...gatewaySettingsFrom(platform.config),
  });
  orphan = await startHttpServer(gateway.handler, { port: 0, host: '127.0.0.1' });
  stopOrphan = async () => {
    await orphan.close(0);
    await gateway.stop();
  };
});
afterAll(async () => {
  await stopOrphan?.();
});

describe('gateway errors', () => {
  it('answers a syntax error with GRAPHQL_PARSE_FAILED and an unknown field with GRAPHQL_VALIDATION_FAILED', async () => {
    expect(errorCodes(await graphql(platform.gatewayUrl, '{ me { id '))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(errorCodes(await graphql(platform.gatewayUrl, '{ nope }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('answers variables that do not fit their types with BAD_USER_INPUT', async () => {
    const missing = await graphql(platform.gatewayUrl, 'query ($tag: String!) { postsByHashtag(tag: $tag) { nodes { id } } }');
    const wrongType = await graphql(
      platform.gatewayUrl,
      'query ($first: Int) { searchPosts(query: "a", first: $first) { nodes { id } } }',
      {
        first: 'many',
      },
    );
    for (const response of [missing, wrongType]) {
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toMatch(/^Variable "\$(tag|first)"/);
    }
  });

  it('does not leak internal addresses when a subgraph is down', async () => {
    const response = await graphql(`${orphan.origin}/graphql`, '{ user(username: "ada") { id } }');
    expect(errorCodes(response)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(JSON.stringify(response.errors)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:9\b|fetch failed/);
  });

  it('passes a subgraph refusal on as its own error, not as an HTTP failure with the subgraph address', async () => {
    // The users subgraph answers an anonymous mutation with HTTP 401 and a GraphQL body.
    const response = await graphql(platform.gatewayUrl, 'mutation { follow(userId: "someone") { id } }');
    expect(response.errors).toEqual([
      {
        message: 'You must be signed in to do this.',
        path: ['follow'],
        extensions: { code: 'UNAUTHENTICATED', serviceName: 'users' },
      },
    ]);
    expect(JSON.stringify(response)).not.toMatch(/localhost|127\.0\.0\.1|401/);
  });
});
