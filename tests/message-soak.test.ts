import { randomUUID } from 'node:crypto';
import { type Client, createClient } from 'graphql-ws';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createGateway, gatewaySettingsFrom } from '../gateway/server.js';
import { startHttpServer } from '../lib/infra/http-server.js';
import { createLogger } from '../lib/kernel/logger.js';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';
import { until } from './support/until.js';

/**
 * The promise of messaging, under abuse: every acknowledged message is stored exactly once,
 * and every subscriber that loses its socket (killed at random, or the gateway restarting
 * under it) and resumes with `after` sees each message exactly once, in order.
 */

const SUBSCRIPTION = 'subscription ($c: ID, $after: ID) { messageAdded(conversationId: $c, after: $after) { id body } }';

/**
 * A mobile client's subscription: it reconnects whenever its socket ends and resumes with
 * `after` = the last message it has, so it never misses or repeats one.
 */
class ResumingSubscriber {
  readonly seen: string[] = [];
  reconnects = 0;
  #socket: WebSocket | undefined;
  #client: Client | undefined;
  #stopped = false;

  constructor(
    private readonly url: () => string,
    private readonly token: string,
    private readonly conversationId: string,
    after: string,
  ) {
    this.seen.push(after);
    this.#connect();
  }

  /** Cuts the socket without a close frame, like a phone losing its network. */
  kill(): void {
    this.#socket?.terminate();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#client?.dispose();
  }

  #connect(): void {
    if (this.#stopped) return;
    const self = this;
    class TrackedSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols);
        self.#socket = this;
      }
    }
    const client = createClient({
      url: this.url().replace(/^http/, 'ws'),
      webSocketImpl: TrackedSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${this.token}` },
      onNonLazyError: () => undefined,
    });
    this.#client = client;
    let ended = false;
    const again = () => {
      if (ended) return;
      ended = true;
      void client.dispose();
      this.reconnects += 1;
      // A short pause, as a client's backoff would (the behaviour modelled, not a wait of the
      // test); then resume from the last message it has.
      setTimeout(() => this.#connect(), 20);
    };
    client.on('closed', again);
    client.subscribe<{ messageAdded: { id: string } }>(
      { query: SUBSCRIPTION, variables: { c: this.conversationId, after: this.seen.at(-1) } },
      {
        next: (result) => {
          const id = result.data?.messageAdded.id;
          if (id !== undefined) this.seen.push(id);
        },
        error: again,
        complete: again,
      },
    );
  }
}

describe('message soak', () => {
  const platform = usePlatform();

  const storedIds = async (conversationId: string) =>
    (
      await sql<{ id: string }>`select id from messages.messages where conversation_id = ${conversationId} order by seq`.execute(
        platform.database.kysely,
      )
    ).rows.map((row) => row.id);

  it('10 senders × 100 sends with retries and random socket kills: stored once, seen once each, in order', {
    timeout: 120_000,
  }, async () => {
    const senders = await Promise.all(Array.from({ length: 10 }, () => registerUser(platform.gatewayUrl)));
    const [owner, ...others] = senders as [TestUser, ...TestUser[]];
    const group = await startConversation(platform.gatewayUrl, owner, others, 'soak');
    const first = await sendMessage(platform.gatewayUrl, owner, group.id, 'start');
    const subscribers = senders
      .slice(0, 5)
      .map((member) => new ResumingSubscriber(() => platform.gatewayUrl, member.token, group.id, first.id));

    const acknowledged = new Map<string, string>();
    let retried = 0;
    const send = async (sender: TestUser, key: string, body: string) => {
      const response = await graphql<{ sendMessage: { id: string } }>(
        platform.gatewayUrl,
        'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id } }',
        { c: group.id, b: body, k: key },
        { token: sender.token },
      );
      const id = response.data?.sendMessage.id;
      if (id === undefined) throw new Error(`send failed: ${JSON.stringify(response.errors)}`);
      return id;
    };
    let sending = true;
    const killer = (async () => {
      while (sending) {
        // Kills at random moments while the sends run: the timing is the scenario, not a wait.
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
        subscribers[Math.floor(Math.random() * subscribers.length)]?.kill();
      }
    })();
    await Promise.all(
      senders.map(async (sender, s) => {
        for (let i = 0; i < 100; i += 1) {
          const key = randomUUID();
          const body = `sender ${s} message ${i}`;
          // A third of the sends are retried with the same clientMessageId: at once, or after the answer.
          let ids: string[];
          if (Math.random() >= 0.33) ids = [await send(sender, key, body)];
          else if (Math.random() < 0.5) ids = await Promise.all([send(sender, key, body), send(sender, key, body)]);
          else ids = [await send(sender, key, body), await send(sender, key, body)];
          if (ids.length > 1) retried += 1;
          expect(new Set(ids).size).toBe(1);
          acknowledged.set(key, ids[0] as string);
        }
      }),
    );
    sending = false;
    await killer;

    const stored = await storedIds(group.id);
    expect(stored).toHaveLength(1001);
    expect(new Set(stored).size).toBe(1001);
    for (const id of acknowledged.values()) expect(stored).toContain(id);
    expect(acknowledged.size).toBe(1000);

    await until(() => subscribers.every((subscriber) => subscriber.seen.length >= stored.length), 30_000);
    for (const subscriber of subscribers) expect(subscriber.seen).toEqual(stored);
    const reconnects = subscribers.reduce((sum, subscriber) => sum + subscriber.reconnects, 0);
    expect(reconnects).toBeGreaterThan(5);
    expect(retried).toBeGreaterThan(100);
    await Promise.all(subscribers.map((subscriber) => subscriber.stop()));
  });

  it('a gateway restarted under 20 subscribers: each resumes and misses nothing', { timeout: 120_000 }, async () => {
    // A gateway of this test's own, in front of the platform's subgraphs, on a port it keeps.
    const logger = createLogger({ level: 'silent', pretty: false });
    const subgraphUrls = Object.fromEntries(Object.entries(platform.subgraphs).map(([name, subgraph]) => [name, subgraph.url]));
    const startGateway = async (port: number) => {
      const gateway = await createGateway({
        subgraphUrls,
        tokens: platform.tokens,
        store: platform.store,
        logger,
        ...gatewaySettingsFrom(platform.config),
      });
      const server = await startHttpServer(gateway.handler, { port, host: '127.0.0.1' });
      const sockets = gateway.serveWebSockets(server.server);
      return {
        port: Number(new URL(server.origin).port),
        async stop() {
          await sockets.close();
          await server.close(0);
          await gateway.stop();
        },
      };
    };
    let own = await startGateway(0);
    const url = `http://127.0.0.1:${own.port}/graphql`;

    const members = await Promise.all(Array.from({ length: 5 }, () => registerUser(platform.gatewayUrl)));
    const [owner, ...others] = members as [TestUser, ...TestUser[]];
    const group = await startConversation(platform.gatewayUrl, owner, others, 'restart');
    const first = await sendMessage(platform.gatewayUrl, owner, group.id, 'start');
    const subscribers = Array.from(
      { length: 20 },
      (_, i) => new ResumingSubscriber(() => url, (members[i % members.length] as TestUser).token, group.id, first.id),
    );

    // Sends go through the platform's gateway, which stays up; the subscribers' gateway restarts.
    const sends = (async () => {
      for (let i = 0; i < 100; i += 1) await sendMessage(platform.gatewayUrl, members[i % 5] as TestUser, group.id, `m${i}`);
    })();
    await until(() => subscribers.every((subscriber) => subscriber.seen.length > 10), 20_000);
    await own.stop();
    own = await startGateway(own.port);
    await sends;

    const stored = await storedIds(group.id);
    expect(stored).toHaveLength(101);
    await until(() => subscribers.every((subscriber) => subscriber.seen.length >= stored.length), 30_000);
    for (const subscriber of subscribers) expect(subscriber.seen).toEqual(stored);
    expect(subscribers.every((subscriber) => subscriber.reconnects >= 1)).toBe(true);
    await Promise.all(subscribers.map((subscriber) => subscriber.stop()));
    await own.stop();
  });
});
