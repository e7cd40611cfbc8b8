import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeSupergraph } from './support/federation/compose.js';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { startConversation } from './support/messages.js';
import { sample, scrape } from './support/metrics.js';
import { usePlatform } from './support/platform.js';
import { until } from './support/until.js';
import { connectSocket, type Subscription, subscribe, type TestSocket, untilLive } from './support/websocket.js';

/**
 * The gateway serves a supergraph file of the test's own and reloads it while 50 subscriptions
 * receive a stream of messages and queries keep coming: a change every subscription survives
 * (picked up by the file watch), one that removes a field some of them select (those end with
 * a clear error, the others go on), and a file that is not a supergraph (kept out). Counted: no
 * message lost or delivered twice, no error but the ones the removal calls for, no query failed.
 */
const directory = mkdtempSync(join(tmpdir(), 'chitlaq-reload-'));
const file = join(directory, 'supergraph.graphql');
writeFileSync(file, readFileSync(new URL('../supergraph.graphql', import.meta.url), 'utf8'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const platform = usePlatform({ SUPERGRAPH_FILE: file });

/** The repository's subgraph schemas, each edited by `edit` when it names it: composed as `npm run compose` does. */
function composedWith(edit: Partial<Record<string, (typeDefs: string) => string>>): string {
  const config = parse(readFileSync(new URL('../supergraph.yaml', import.meta.url), 'utf8')) as {
    subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
  };
  return composeSupergraph(
    Object.entries(config.subgraphs).map(([name, subgraph]) => {
      const typeDefs = readFileSync(new URL(`../${subgraph.schema.file}`, import.meta.url), 'utf8');
      return { name, url: subgraph.routing_url, typeDefs: edit[name]?.(typeDefs) ?? typeDefs };
    }),
  );
}

const DESCRIBED = composedWith({
  messages: (typeDefs) => typeDefs.replace('"A message in a conversation."', '"A message in a conversation (reloaded)."'),
});
const DESCRIBED_HASH = createHash('sha256').update(DESCRIBED).digest('hex').slice(0, 16);
const WITHOUT_CLIENT_MESSAGE_ID = composedWith({
  messages: (typeDefs) =>
    typeDefs
      .replace('"A message in a conversation."', '"A message in a conversation (reloaded)."')
      .replace(/\n\s*"The sender's idempotency key[^\n]*\n\s*clientMessageId: String!/, ''),
});

const SEND =
  'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id } }';

interface Event {
  messageAdded: { id: string };
}

/** The five subscriptions of each member: one selection each, one of them (`withKey`) removed by the second reload. */
const SELECTIONS = {
  plain: ['subscription ($c: ID!) { messageAdded(conversationId: $c) { id body } }', false],
  crossSubgraph: ['subscription ($c: ID!) { messageAdded(conversationId: $c) { id body sender { username } } }', false],
  everyConversation: ['subscription { messageAdded { id } }', false],
  withKey: ['subscription ($c: ID!) { messageAdded(conversationId: $c) { id clientMessageId } }', false],
  fromFirst: ['subscription ($c: ID!, $a: ID) { messageAdded(conversationId: $c, after: $a) { id } }', true],
} as const;

describe('hot supergraph reload', () => {
  it('keeps 50 subscriptions delivering through reloads: none lost, none twice, only the invalidated ones ended', async () => {
    const gateway = platform.gateway;
    const members = await Promise.all(Array.from({ length: 10 }, () => registerUser(platform.gatewayUrl)));
    const [owner, ...others] = members as [TestUser, ...TestUser[]];
    const chat = await startConversation(platform.gatewayUrl, owner, others, 'reload');
    const send = async (sender: TestUser, body: string) => {
      const response = await graphql<{ sendMessage: { id: string } }>(
        platform.gatewayUrl,
        SEND,
        { c: chat.id, b: body, k: crypto.randomUUID() },
        { token: sender.token },
      );
      if (!response.data) throw new Error(`sendMessage failed: ${JSON.stringify(response.errors)}`);
      return response.data.sendMessage.id;
    };
    const first = await send(owner, 'first');

    const sockets: TestSocket[] = members.map((member) => connectSocket(platform.gatewayUrl, member.token));
    const closes: number[] = [];
    for (const socket of sockets) void socket.closed.then((closed) => closes.push(closed.code));
    const subscriptions = sockets.flatMap((socket) =>
      Object.entries(SELECTIONS).map(([name, [query, withAfter]]) => ({
        name,
        live: subscribe<Event>(socket, query, withAfter ? { c: chat.id, a: first } : { c: chat.id }),
      })),
    );
    expect(subscriptions).toHaveLength(50);
    await untilLive(
      subscriptions.map(({ live }) => live),
      () => send(owner, 'warm-up'),
    );

    // Queries all along: none may fail while the schema under them is swapped.
    let queries = 0;
    const failedQueries: unknown[] = [];
    let querying = true;
    const queryLoop = (async () => {
      while (querying) {
        const response = await graphql(platform.gatewayUrl, '{ me { id username } }', {}, { token: owner.token });
        queries += 1;
        if (response.errors !== undefined || response.data?.me?.id !== owner.id) failedQueries.push(response.errors);
      }
    })();

    const before = await scrape(platform, 'gateway');
    for (let i = 0; i < 90; i += 1) {
      if (i === 30) {
        // Picked up by the file watch.
        writeFileSync(file, DESCRIBED);
        await until(() => gateway.supergraph.current.number === 2, 10_000);
      }
      if (i === 60) {
        writeFileSync(file, WITHOUT_CLIENT_MESSAGE_ID);
        await gateway.reloadSupergraph();
        expect(gateway.supergraph.current.number).toBe(3);
      }
      if (i === 75) {
        writeFileSync(file, 'this is not a supergraph');
        await gateway.reloadSupergraph();
        expect(gateway.supergraph.current.number).toBe(3);
      }
      await send(members[i % members.length] as TestUser, `m${i}`);
    }
    querying = false;
    await queryLoop;

    const { rows } = await sql<{ id: string }>`
      select id from messages.messages where conversation_id = ${chat.id}::uuid order by seq`.execute(platform.database.kysely);
    const stored = rows.map((row) => row.id);
    const last = stored.at(-1) as string;
    const idsOf = (live: Subscription<Event>) => live.events.map((event) => event.data?.messageAdded.id);
    for (const { name, live } of subscriptions) {
      if (name === 'withKey') {
        // Its last event says why, then it completes (as a subgraph's refusal does).
        expect(await live.ended).toEqual({ kind: 'complete' });
        const final = live.events.at(-1);
        expect(final?.data ?? null).toBeNull();
        expect(final?.errors).toEqual([
          {
            message:
              'This subscription is no longer valid after a schema update (Cannot query field "clientMessageId" on type "Message".) Subscribe again.',
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ]);
        live.events.pop();
        // Until then, every message once and in order.
        const seen = idsOf(live);
        const from = stored.indexOf(seen[0] as string);
        expect(seen).toEqual(stored.slice(from, from + seen.length));
        expect(seen.length).toBeGreaterThan(60);
        continue;
      }
      await live.until((events) => events.some((event) => event.data?.messageAdded.id === last), 20_000);
      const seen = idsOf(live);
      const from = name === 'fromFirst' ? 1 : stored.indexOf(seen[0] as string);
      expect(seen, name).toEqual(stored.slice(from));
      expect(live.events.every((event) => event.errors === undefined)).toBe(true);
    }
    expect(closes).toEqual([]);
    expect(failedQueries).toEqual([]);
    expect(queries).toBeGreaterThan(10);

    // What the gateway serves now, and what it counted.
    const described = await graphql(platform.gatewayUrl, '{ __type(name: "Message") { description fields { name } } }');
    expect(described.data?.__type.description).toBe('A message in a conversation (reloaded).');
    expect(described.data?.__type.fields.map((field: { name: string }) => field.name)).not.toContain('clientMessageId');
    const after = await scrape(platform, 'gateway');
    const counted = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(counted('gateway_supergraph_reloads_total', { outcome: 'applied' })).toBe(2);
    expect(counted('gateway_supergraph_reloads_total', { outcome: 'failed' })).toBe(1);
    expect(counted('gateway_subscription_reloads_total', { outcome: 'replanned' })).toBe(50 + 40);
    expect(counted('gateway_subscription_reloads_total', { outcome: 'ended' })).toBe(10);
    expect(sample(after, 'gateway_supergraph_info', { hash: gateway.supergraph.current.hash, generation: '3' })).toBe(1);
    await Promise.all(sockets.map((socket) => socket.dispose()));
    // 90 sends and 50 subscriptions: seconds alone, longer on a busy machine in embedded mode.
  }, 120_000);

  it('answers no early hit computed on the supergraph before: the same request misses once after a reload, then hits early again', async () => {
    const author = await registerUser(platform.gatewayUrl);
    const posted = await graphql(
      platform.gatewayUrl,
      'mutation { createPost(content: "before the reload") { id } }',
      {},
      { token: author.token },
    );
    const body = JSON.stringify({
      query: 'query ($id: ID!) { post(id: $id) { id content } }',
      variables: { id: posted.data?.createPost.id },
    });
    const send = async () => {
      const response = await fetch(platform.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { cache: response.headers.get('x-cache'), text: await response.text() };
    };
    const earlyHits = async () => sample(await scrape(platform, 'gateway'), 'gateway_response_cache_early_hits_total');
    const first = await send();
    const before = await earlyHits();
    expect((await send()).cache).toBe('HIT');
    expect(await earlyHits()).toBe(before + 1);

    const { gateway } = platform;
    const generation = gateway.supergraph.current;
    writeFileSync(file, generation.hash === DESCRIBED_HASH ? WITHOUT_CLIENT_MESSAGE_ID : DESCRIBED);
    await gateway.reloadSupergraph();
    expect(gateway.supergraph.current).not.toBe(generation);
    const afterReload = await send();
    expect(afterReload).toEqual({ cache: 'MISS', text: first.text });
    expect(await earlyHits()).toBe(before + 1);
    expect((await send()).cache).toBe('HIT');
    expect(await earlyHits()).toBe(before + 2);
  });
});
