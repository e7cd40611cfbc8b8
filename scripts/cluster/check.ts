import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { followMessages, type MessageStream, type StopReason } from '../../clients/examples/message-stream.js';
import { waitForReplay } from '../postgres-cluster.js';
import type { Cluster } from './cluster.js';

/**
 * `npm run cluster -- --check`: traffic and subscriptions through nginx, as clients send them,
 * and what they show about the deployment:
 *
 * 1. HTTP requests spread over both gateways (nginx's X-Served-By, and each gateway's /metrics);
 * 2. a message sent through one gateway reaches subscribers connected to the other (Redis pub/sub
 *    between the messages instances);
 * 3. anonymous reads run on the replica (the `pool` label of the subgraphs' SQL metrics);
 * 4. one gateway SIGKILLed while messages flow: its subscribers reconnect through nginx to the
 *    other and resume with `after` (clients/examples/message-stream.ts), and every subscriber
 *    gets every message sent before, during and after the kill once, in order.
 */

export interface ClusterCheckResult {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface ClusterReport {
  readonly passed: boolean;
  readonly checks: readonly ClusterCheckResult[];
  /** HTTP requests through nginx, by the gateway that answered (X-Served-By); `retried`: answers that needed another attempt. */
  readonly http: { readonly servedBy: Record<string, number>; readonly retried: number };
  /** graphql_operations_total of each gateway's /metrics, before the kill. */
  readonly gatewayOperations: Record<string, number>;
  readonly subscribers: { readonly total: number; readonly byGateway: Record<string, number> };
  /** Deliveries (before the kill) of a message sent through one gateway to a subscriber on another, by "from→to". */
  readonly crossGateway: { readonly deliveries: number; readonly of: number; readonly byRoute: Record<string, number> };
  readonly reads: {
    readonly queries: number;
    readonly correct: number;
    /** SQL statements the subgraphs ran during the reads, by pool (their /metrics). */
    readonly replicaStatements: number;
    readonly primaryStatements: number;
    /** Sessions on the replica by application_name (pg_stat_activity). */
    readonly replicaSessions: Record<string, number>;
  };
  readonly kill: {
    readonly gateway: string;
    readonly pid: number;
    /** Messages sent before the SIGKILL. */
    readonly afterMessage: number;
    readonly subscribers: number;
    readonly disconnected: number;
    readonly reconnected: number;
    readonly reconnectedTo: Record<string, number>;
    /** From the kill to the last of its subscribers connected again. */
    readonly reconnectSeconds: number;
    /** Disconnections of subscribers on the other gateways (none expected). */
    readonly othersDisconnected: number;
  };
  readonly stream: {
    readonly messages: number;
    readonly before: number;
    readonly during: number;
    readonly after: number;
    readonly subscribers: number;
    readonly lost: number;
    readonly duplicated: number;
    readonly outOfOrder: number;
    readonly stopped: number;
  };
}

const SUBSCRIBERS_PER_RECIPIENT = 4;
const RECIPIENTS = 3;
const MESSAGES_BEFORE_KILL = 20;
const MESSAGES_AFTER_RECONNECT = 20;
/** The pace of the sender: a conversation, not a load test; enough messages land in the reconnect window. */
const SEND_INTERVAL_MS = 25;

interface Account {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

interface Subscriber {
  readonly key: string;
  readonly account: Account;
  /** The gateway its current connection is on. */
  gateway: string | undefined;
  readonly received: { id: string; gateway: string | undefined }[];
  disconnects: number;
  reconnects: number;
  reconnectedAt: number | undefined;
  stopped: StopReason | undefined;
  readonly connected: Promise<void>;
  stream: MessageStream | undefined;
}

interface SentMessage {
  readonly id: string;
  readonly phase: 'before' | 'during' | 'after';
  readonly gateway: string;
}

export async function runClusterCheck(cluster: Cluster, options: { log?: (line: string) => void } = {}): Promise<ClusterReport> {
  const log = options.log ?? (() => undefined);
  const servedBy: Record<string, number> = Object.fromEntries(cluster.gateways.map((gateway) => [gateway.name, 0]));
  let retried = 0;
  const gatewayName = (header: string | null | undefined) => {
    // "a, b" when nginx tried a first: b answered.
    const last = header?.split(',').at(-1)?.trim();
    return last === undefined ? undefined : (cluster.gatewayAt(last)?.name ?? last);
  };

  /** One operation through nginx; retried (same variables) on a lost connection or a 5xx, as a client does. */
  async function request<D>(
    query: string,
    variables: Record<string, unknown>,
    token?: string,
  ): Promise<{ data: D; gateway: string }> {
    for (let attempt = 1; ; attempt += 1) {
      let answer: { status: number; gateway: string | undefined; body: { data?: D; errors?: unknown[] } } | undefined;
      let failure: string;
      try {
        const response = await fetch(cluster.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          body: JSON.stringify({ query, variables }),
        });
        const gateway = gatewayName(response.headers.get('x-served-by'));
        answer = { status: response.status, gateway, body: (await response.json()) as { data?: D; errors?: unknown[] } };
        failure = `HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`;
      } catch (error) {
        failure = (error as Error).message;
      }
      if (answer !== undefined && answer.status < 500) {
        const { body, gateway } = answer;
        if (body.errors !== undefined || body.data === undefined || gateway === undefined) {
          throw new Error(`${query.slice(0, 60)}…: ${failure}`);
        }
        servedBy[gateway] = (servedBy[gateway] ?? 0) + 1;
        if (attempt > 1) retried += 1;
        return { data: body.data, gateway };
      }
      if (attempt >= 40) throw new Error(`${query.slice(0, 60)}…: ${failure}`);
      // A gateway just died: nginx notices on its next connect; a moment later it has.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const register = async (): Promise<Account> => {
    const username = `cluster_${randomBytes(5).toString('hex')}`;
    const { data } = await request<{ register: { token: string; user: { id: string } } }>(
      'mutation ($input: RegisterInput!) { register(input: $input) { token user { id } } }',
      {
        input: {
          email: `${username}@example.edu`,
          username,
          password: 'correct horse battery',
          displayName: `Student ${username}`,
        },
      },
    );
    return { id: data.register.user.id, username, token: data.register.token };
  };
  const send = async (sender: Account, conversationId: string, body: string) => {
    // One clientMessageId per message, reused by every retry: a retry stores nothing twice.
    const { data, gateway } = await request<{ sendMessage: { id: string } }>(
      'mutation ($c: ID!, $b: String!, $k: String!) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) { id } }',
      { c: conversationId, b: body, k: randomUUID() },
      sender.token,
    );
    return { id: data.sendMessage.id, gateway };
  };

  log('check: registering accounts and a conversation through nginx');
  const sender = await register();
  const recipients: Account[] = [];
  for (let index = 0; index < RECIPIENTS; index += 1) recipients.push(await register());
  const conversation = await request<{ startConversation: { id: string } }>(
    'mutation ($ids: [ID!]!) { startConversation(memberIds: $ids, title: "cluster check") { id } }',
    { ids: recipients.map((recipient) => recipient.id) },
    sender.token,
  );
  const conversationId = conversation.data.startConversation.id;
  const first = await send(sender, conversationId, 'before any subscriber');

  // Reads: anonymous, once the replica has the accounts (it lags the primary by its replay).
  log('check: anonymous reads through nginx');
  await waitForReplay(cluster.primary, cluster.replica);
  const statementsBefore = await subgraphStatements(cluster);
  const accounts = [sender, ...recipients];
  let correct = 0;
  for (const account of accounts) {
    const { data } = await request<{ user: { id: string } | null; searchUsers: { nodes: { id: string }[] } }>(
      'query ($u: String!) { user(username: $u) { id } searchUsers(query: $u, first: 1) { nodes { id } } }',
      { u: account.username },
    );
    if (data.user?.id === account.id && data.searchUsers.nodes[0]?.id === account.id) correct += 1;
  }
  const statementsAfter = await subgraphStatements(cluster);
  const replicaSessions = await sessionsOn(cluster.readUrl);
  const reads = {
    queries: accounts.length,
    correct,
    replicaStatements: statementsAfter.replica - statementsBefore.replica,
    primaryStatements: statementsAfter.primary - statementsBefore.primary,
    replicaSessions,
  };

  // Subscribers: each with its own sticky key, resuming after the first message.
  log('check: subscribing through nginx');
  const subscribers: Subscriber[] = [];
  const wsUrl = cluster.url.replace(/^http/, 'ws');
  const subscribe = (account: Account, key: string) => {
    let onConnected: () => void = () => undefined;
    const subscriber: Subscriber = {
      key,
      account,
      gateway: undefined,
      received: [],
      disconnects: 0,
      reconnects: 0,
      reconnectedAt: undefined,
      stopped: undefined,
      connected: new Promise<void>((resolve) => {
        onConnected = resolve;
      }),
      stream: undefined,
    };
    subscriber.stream = followMessages({
      url: `${wsUrl}?client=${key}`,
      token: () => account.token,
      conversationId,
      after: first.id,
      webSocketImpl: webSocketReporting((header) => {
        subscriber.gateway = gatewayName(header);
      }),
      onMessage: (message) => subscriber.received.push({ id: message.id, gateway: subscriber.gateway }),
      onConnected: (reconnected) => {
        if (reconnected) {
          subscriber.reconnects += 1;
          subscriber.reconnectedAt = Date.now();
        }
        onConnected();
      },
      onDisconnected: () => {
        subscriber.disconnects += 1;
      },
      onStop: (reason) => {
        subscriber.stopped = reason;
      },
      // Reconnect soon after a loss: the check measures the gap, not a phone's backoff.
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, 100 + 200 * Math.min(retries, 5))),
    });
    subscribers.push(subscriber);
    return subscriber;
  };
  for (const account of recipients) {
    for (let index = 0; index < SUBSCRIBERS_PER_RECIPIENT; index += 1) subscribe(account, `check-${subscribers.length}`);
  }
  await withTimeout(Promise.all(subscribers.map((subscriber) => subscriber.connected)), 30_000, 'subscribers connecting');
  // The sticky keys decide where each lands: add some until every gateway has subscribers.
  for (let extra = 0; cluster.gateways.some((gateway) => countOn(subscribers, gateway.name) === 0); extra += 1) {
    if (extra >= 40) throw new Error('every subscriber landed on one gateway: nginx spread no WebSocket');
    await subscribe(recipients[extra % recipients.length] as Account, `check-${subscribers.length}`).connected;
  }
  const byGateway = Object.fromEntries(cluster.gateways.map((gateway) => [gateway.name, countOn(subscribers, gateway.name)]));
  const gatewayOperations: Record<string, number> = {};
  for (const gateway of cluster.gateways) {
    gatewayOperations[gateway.name] = sumOf(await metricsOf(gateway.origin), 'graphql_operations_total');
  }

  // The stream, with the gateway of most subscribers killed after MESSAGES_BEFORE_KILL.
  const victim = [...cluster.gateways].sort((a, b) => countOn(subscribers, b.name) - countOn(subscribers, a.name))[0];
  if (victim === undefined) throw new Error('no gateway');
  const victims = subscribers.filter((subscriber) => subscriber.gateway === victim.name);
  const others = subscribers.filter((subscriber) => subscriber.gateway !== victim.name);
  const sent: SentMessage[] = [];
  const pace = () => new Promise((resolve) => setTimeout(resolve, SEND_INTERVAL_MS));
  log(`check: streaming messages; SIGKILL of ${victim.name} after ${MESSAGES_BEFORE_KILL}`);
  for (let index = 0; index < MESSAGES_BEFORE_KILL; index += 1) {
    sent.push({ ...(await send(sender, conversationId, `message ${sent.length + 1}`)), phase: 'before' });
    await pace();
  }
  const pid = victim.child.pid ?? 0;
  const killedAt = Date.now();
  await victim.kill();
  const reconnected = () => victims.every((subscriber) => subscriber.reconnects > 0);
  while (!reconnected() && Date.now() - killedAt < 20_000) {
    sent.push({ ...(await send(sender, conversationId, `message ${sent.length + 1}`)), phase: 'during' });
    await pace();
  }
  for (let index = 0; index < MESSAGES_AFTER_RECONNECT; index += 1) {
    sent.push({ ...(await send(sender, conversationId, `message ${sent.length + 1}`)), phase: 'after' });
    await pace();
  }
  const last = sent.at(-1)?.id;
  const everyoneHasAll = () => subscribers.every((subscriber) => subscriber.received.at(-1)?.id === last);
  await until(everyoneHasAll, 20_000).catch(() => undefined);
  for (const subscriber of subscribers) await subscriber.stream?.close();

  // Tallies.
  const order = new Map(sent.map((message, index) => [message.id, index]));
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  for (const subscriber of subscribers) {
    const ids = subscriber.received.map((delivery) => delivery.id);
    const unique = new Set(ids);
    duplicated += ids.length - unique.size;
    lost += sent.filter((message) => !unique.has(message.id)).length;
    const positions = ids.map((id) => order.get(id) ?? -1);
    outOfOrder += positions.filter((position, index) => index > 0 && position <= (positions[index - 1] as number)).length;
  }
  const byRoute: Record<string, number> = {};
  let crossDeliveries = 0;
  let beforeDeliveries = 0;
  const sentThrough = new Map(sent.map((message) => [message.id, message]));
  for (const subscriber of subscribers) {
    for (const delivery of subscriber.received) {
      const message = sentThrough.get(delivery.id);
      if (message?.phase !== 'before') continue;
      beforeDeliveries += 1;
      if (delivery.gateway !== undefined && delivery.gateway !== message.gateway) {
        crossDeliveries += 1;
        const route = `${message.gateway}→${delivery.gateway}`;
        byRoute[route] = (byRoute[route] ?? 0) + 1;
      }
    }
  }
  const reconnectedTo: Record<string, number> = {};
  for (const subscriber of victims) {
    if (subscriber.reconnects > 0 && subscriber.gateway !== undefined) {
      reconnectedTo[subscriber.gateway] = (reconnectedTo[subscriber.gateway] ?? 0) + 1;
    }
  }
  const reconnectTimes = victims.map((subscriber) => (subscriber.reconnectedAt ?? Number.NaN) - killedAt);
  const phaseCount = (phase: SentMessage['phase']) => sent.filter((message) => message.phase === phase).length;
  const kill = {
    gateway: victim.name,
    pid,
    afterMessage: MESSAGES_BEFORE_KILL,
    subscribers: victims.length,
    disconnected: victims.filter((subscriber) => subscriber.disconnects > 0).length,
    reconnected: victims.filter((subscriber) => subscriber.reconnects > 0).length,
    reconnectedTo,
    reconnectSeconds: Math.max(...reconnectTimes) / 1000,
    othersDisconnected: others.filter((subscriber) => subscriber.disconnects > 0).length,
  };
  const stream = {
    messages: sent.length,
    before: phaseCount('before'),
    during: phaseCount('during'),
    after: phaseCount('after'),
    subscribers: subscribers.length,
    lost,
    duplicated,
    outOfOrder,
    stopped: subscribers.filter((subscriber) => subscriber.stopped !== undefined).length,
  };

  const names = cluster.gateways.map((gateway) => gateway.name);
  const survivors = names.filter((name) => name !== victim.name);
  const checks: ClusterCheckResult[] = [
    {
      name: 'both gateways served requests',
      passed: names.every((name) => (servedBy[name] ?? 0) > 0 && (gatewayOperations[name] ?? 0) > 0),
      detail: `X-Served-By ${tally(servedBy)}; graphql_operations_total ${tally(gatewayOperations)}`,
    },
    {
      name: 'a message sent through one gateway reached subscribers on the other',
      passed: crossDeliveries > 0,
      detail: `${crossDeliveries} of ${beforeDeliveries} deliveries before the kill (${tally(byRoute) || 'none'})`,
    },
    {
      name: 'reads hit the replica',
      passed: correct === accounts.length && reads.replicaStatements >= reads.queries,
      detail: `${reads.queries} anonymous queries (${correct} answered right): ${reads.replicaStatements} SQL statements on the replica, ${reads.primaryStatements} on the primary`,
    },
    {
      name: `subscribers of the killed ${victim.name} reconnected through nginx`,
      passed:
        kill.subscribers > 0 &&
        kill.disconnected === kill.subscribers &&
        kill.reconnected === kill.subscribers &&
        Object.keys(reconnectedTo).every((name) => survivors.includes(name)) &&
        kill.othersDisconnected === 0,
      detail: `${kill.disconnected} of ${kill.subscribers} disconnected, ${kill.reconnected} reconnected (${tally(reconnectedTo) || 'nowhere'}) within ${kill.reconnectSeconds.toFixed(2)} s; others disconnected: ${kill.othersDisconnected}`,
    },
    {
      name: 'every subscriber got every message once, in order',
      passed: lost === 0 && duplicated === 0 && outOfOrder === 0 && stream.stopped === 0,
      detail: `${stream.messages} messages (${stream.before} before, ${stream.during} during, ${stream.after} after the kill) × ${stream.subscribers} subscribers: ${lost} lost, ${duplicated} duplicated, ${outOfOrder} out of order, ${stream.stopped} streams stopped`,
    },
  ];
  return {
    passed: checks.every((check) => check.passed),
    checks,
    http: { servedBy, retried },
    gatewayOperations,
    subscribers: { total: subscribers.length, byGateway },
    crossGateway: { deliveries: crossDeliveries, of: beforeDeliveries, byRoute },
    reads,
    kill,
    stream,
  };
}

/** The report as the lines `--check` prints. */
export function formatClusterReport(report: ClusterReport): string {
  const lines = [
    '',
    'Cluster check (through nginx):',
    `  HTTP requests by gateway (X-Served-By): ${tally(report.http.servedBy)}; answered after a retry: ${report.http.retried}`,
    `  GraphQL operations by gateway (/metrics, before the kill): ${tally(report.gatewayOperations)}`,
    `  subscribers: ${report.subscribers.total} (${tally(report.subscribers.byGateway)})`,
    `  replica sessions (pg_stat_activity): ${tally(report.reads.replicaSessions) || 'none'}`,
    `  killed ${report.kill.gateway} (SIGKILL, pid ${report.kill.pid}) after message ${report.kill.afterMessage}`,
    '',
    ...report.checks.map((check) => `  ${check.passed ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`),
    '',
    report.passed ? 'All checks passed.' : `${report.checks.filter((check) => !check.passed).length} check(s) failed.`,
  ];
  return lines.join('\n');
}

/** A `ws` class that reports the X-Served-By of each connection's upgrade answer. */
function webSocketReporting(onServedBy: (header: string | undefined) => void): unknown {
  return class extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      this.once('upgrade', (response) => {
        const header = response.headers['x-served-by'];
        onServedBy(Array.isArray(header) ? header.join(',') : header);
      });
    }
  };
}

function countOn(subscribers: readonly Subscriber[], gateway: string): number {
  return subscribers.filter((subscriber) => subscriber.gateway === gateway).length;
}

function tally(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

async function metricsOf(origin: string): Promise<string> {
  const response = await fetch(`${origin}/metrics`);
  if (!response.ok) throw new Error(`${origin}/metrics answered ${response.status}`);
  return response.text();
}

/** The sum of a metric's samples (Prometheus text), over those carrying every label of `labels`. */
function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([label, value]) => line.includes(`${label}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** SQL statements run so far by every subgraph instance, by pool. */
async function subgraphStatements(cluster: Cluster): Promise<{ primary: number; replica: number }> {
  const totals = { primary: 0, replica: 0 };
  for (const instance of Object.values(cluster.subgraphs).flat()) {
    const text = await metricsOf(instance.origin);
    totals.primary += sumOf(text, 'sql_statement_duration_seconds_count', { pool: 'primary' });
    totals.replica += sumOf(text, 'sql_statement_duration_seconds_count', { pool: 'replica' });
  }
  return totals;
}

async function sessionsOn(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ application_name: string; n: number }>(
      `select application_name, count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name like 'chitlaq-%' and pid <> pg_backend_pid()
       group by application_name order by application_name`,
    );
    return Object.fromEntries(rows.map((row) => [row.application_name, row.n]));
  } finally {
    await client.end();
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    // The subscribers' state changes in their callbacks; looking again every few ms is cheap.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
