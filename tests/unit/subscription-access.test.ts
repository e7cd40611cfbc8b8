import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { FederatedSubscriptions } from '../../gateway/federated-subscriptions.js';
import { ServedSupergraph } from '../../gateway/served-supergraph.js';
import type { SubgraphDataSource } from '../../gateway/subgraph-data-source.js';
import type { UpstreamSubscriptions } from '../../gateway/upstream-subscriptions.js';
import { createLogger } from '../../lib/kernel/logger.js';
import { TouchedEntities } from '../../lib/kernel/touched-entities.js';
import { composeSupergraph } from '../support/federation/compose.js';

/**
 * A subscription to a guarded field is refused before the gateway subscribes upstream: the
 * upstream here records every call, and a refused one makes none.
 */
const logger = createLogger({ level: 'silent', pretty: false });
const served = new ServedSupergraph({
  sdl: composeSupergraph([
    {
      name: 'alerts',
      url: 'http://alerts.test/graphql',
      typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated", "@requiresScopes"])
        type Query { ping: String }
        type Subscription { alerts: String @authenticated audits: String @requiresScopes(scopes: [["audit:read"]]) news: String }`,
    },
  ]),
  subgraphUrls: {},
  makeDataSource: () => ({ process: () => Promise.reject(new Error('not called')) }) as unknown as SubgraphDataSource,
  apolloLogger: logger,
  logger,
});
const supergraph = served.current.loaded;

function subscriptionsWithUpstream(calls: string[]): FederatedSubscriptions {
  const upstream = {
    subscribe(subgraph: string) {
      calls.push(subgraph);
      return (async function* () {})();
    },
    listen(subgraph: string) {
      calls.push(subgraph);
      return () => undefined;
    },
  } as unknown as UpstreamSubscriptions;
  return new FederatedSubscriptions({
    served,
    upstream,
    logger,
    sharedExecution: false,
  });
}

const subscribe = (subscriptions: FederatedSubscriptions, query: string, scopes: string[] | null) =>
  subscriptions.subscribe({
    schema: supergraph.apiGraphQLSchema,
    document: parse(query),
    contextValue: {
      touched: new TouchedEntities(),
      viewer:
        scopes === null ? null : { id: 'u1', token: 't', expiresAt: Date.now() + 60_000, issuedAt: 0, scopes: new Set(scopes) },
    },
  });

describe('subscriptions to guarded fields', () => {
  it('refuses a signed-out subscription to an @authenticated field without subscribing upstream', () => {
    const calls: string[] = [];
    const result = subscribe(subscriptionsWithUpstream(calls), 'subscription { alerts }', null);
    expect(result).toMatchObject({
      errors: [{ message: 'You must be signed in to read Subscription.alerts.', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect(calls).toEqual([]);
  });

  it('refuses a subscription without the scope as FORBIDDEN', () => {
    const calls: string[] = [];
    const result = subscribe(subscriptionsWithUpstream(calls), 'subscription { audits }', ['alerts']);
    expect(result).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    expect(calls).toEqual([]);
  });

  it('subscribes upstream when the viewer may read it', () => {
    const calls: string[] = [];
    subscribe(subscriptionsWithUpstream(calls), 'subscription { audits }', ['audit:read']);
    subscribe(subscriptionsWithUpstream(calls), 'subscription { news }', null);
    expect(calls).toEqual(['alerts', 'alerts']);
  });
});
