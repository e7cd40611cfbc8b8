import { describe, expect, it } from 'vitest';
import { errorCodes, graphql, registerUser } from './support/graphql.js';
import { startTestPlatform, usePlatform } from './support/platform.js';

const platform = usePlatform();

describe('health and readiness', () => {
  it('answers /healthz and /readyz on the gateway and on every subgraph', async () => {
    const origins = [
      platform.gatewayOrigin,
      ...Object.values(platform.subgraphs).map((subgraph) => new URL(subgraph.url).origin),
    ];
    expect(origins).toHaveLength(4);
    for (const origin of origins) {
      expect((await fetch(`${origin}/healthz`)).status).toBe(200);
      expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    }
  });

  it('serves GraphiQL with a prefilled example operation to browsers', async () => {
    const response = await fetch(platform.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('GraphiQL');
    expect(html).toContain('mutation Register');
    // GraphiQL runs subscriptions over the gateway's graphql-ws endpoint, not SSE.
    expect(html).toMatch(/"subscriptionsProtocol":\s*"WS"/);
  });

  it('composes the subgraphs into the public schema', async () => {
    const response = await graphql(platform.gatewayUrl, '{ __type(name: "User") { fields { name } } }');
    const fields = response.data.__type.fields.map((f: { name: string }) => f.name);
    expect(fields).toEqual(
      expect.arrayContaining(['followersCount', 'isFollowedByViewer', 'online', 'email', 'posts', 'postsCount']),
    );
    expect(fields).not.toContain('password_hash');
  });
});

describe('failures are masked and readiness drops', () => {
  it('hides database errors from clients and reports not ready while the database is gone', async () => {
    const broken = await startTestPlatform();
    try {
      const user = await registerUser(broken.gatewayUrl);
      await broken.database.close();
      const response = await graphql(broken.gatewayUrl, '{ me { id username } }', {}, { token: user.token });
      expect(errorCodes(response)).toEqual(['INTERNAL_SERVER_ERROR']);
      const text = JSON.stringify(response.errors);
      expect(text).not.toMatch(/select|stack|pglite|pg_|at \w+ \(/i);
      expect(response.errors?.[0]?.message).toBe('Unexpected error.');
      expect((await fetch(`${new URL(broken.subgraphs.users.url).origin}/readyz`)).status).toBe(503);
      expect((await fetch(`${broken.gatewayOrigin}/healthz`)).status).toBe(200);
    } finally {
      await broken.stop().catch(() => undefined);
    }
  });
});
