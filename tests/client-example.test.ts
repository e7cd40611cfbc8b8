import { readdirSync, readFileSync } from 'node:fs';
import { type DocumentNode, parse, print } from 'graphql';
import { SignJWT } from 'jose';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import WebSocket from 'ws';
import {
  ApiRequestError,
  type ErrorCode as ClientErrorCode,
  createHttpClient,
  documentIdOf,
  type HttpClient,
} from '../clients/examples/http-client.js';
import {
  followMessages,
  type Message,
  type MessageStream,
  resumeDelayMs,
  type StopReason,
} from '../clients/examples/message-stream.js';
import { signIn } from '../clients/examples/session.js';
import { graphql } from '../clients/generated/gql.js';
import {
  ConversationDocument,
  MeDocument,
  MessageAddedDocument,
  RegisterDocument,
  SendMessageDocument,
  StartConversationDocument,
} from '../clients/generated/graphql.js';
import { TRUSTED_DOCUMENTS_FILE } from '../gateway/plugins/trusted-documents.js';
import type { ErrorCode } from '../lib/kernel/errors.js';
import type { MessagesDatabase } from '../subgraphs/messages/db/tables.js';
import { MAX_REPLAY } from '../subgraphs/messages/realtime/message-stream.js';
import { createMessageSender } from '../subgraphs/messages/services/send-messages.js';
import { uniqueName } from './support/graphql.js';
import { TEST_JWT_SECRET, usePlatform } from './support/platform.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * The example client of clients/examples/ (docs/clients.md) against the real platform: typed
 * operations over HTTP by text and by documentId, `graphql()` per operation, and a messageAdded
 * stream that loses its connection and picks up where it stopped, without gap or duplicate.
 */

// The example's copy of the error codes is lib/kernel/errors.ts's set: `tsc` fails when they drift apart.
expectTypeOf<ClientErrorCode>().toEqualTypeOf<ErrorCode>();

const manifest = JSON.parse(readFileSync(TRUSTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>;

const platform = usePlatform();
/** Between the gateway and Bob's client: stopping it is Bob's phone losing its network. */
let proxy: TcpProxy;
let url: string;
let proxiedUrl: string;
const streams: MessageStream[] = [];

beforeAll(async () => {
  url = platform.gatewayUrl;
  proxy = await TcpProxy.start(url);
  proxiedUrl = proxy.urlFor(url);
});
afterAll(async () => {
  for (const stream of streams) await stream.close();
  await proxy?.stop();
});

interface Member {
  id: string;
  email: string;
  token: string;
  http: HttpClient;
}

const PASSWORD = 'correct horse battery';

async function register(through = url): Promise<Member> {
  const username = uniqueName();
  const email = `${username}@example.edu`;
  const { register } = await createHttpClient({ url }).execute(RegisterDocument, {
    input: { email, username, password: PASSWORD, displayName: `Student ${username}` },
  });
  return { id: register.user.id, email, token: register.token, http: createHttpClient({ url: through, token: register.token }) };
}

async function send(from: Member, conversationId: string, body: string): Promise<Message> {
  const { sendMessage } = await from.http.execute(SendMessageDocument, { conversationId, body, clientMessageId: body });
  return { ...sendMessage, sender: expect.objectContaining({ id: from.id }) as Message['sender'] };
}

/** What a stream delivered, and events to wait on instead of sleeping. */
function receiver() {
  const messages: Message[] = [];
  /** Re-checked on every message, disconnect and stop. */
  const pending = new Set<() => boolean>();
  const closeCodes: Array<number | undefined> = [];
  let reconnects = 0;
  let stopped: unknown;
  const settle = () => {
    for (const check of pending) if (check()) pending.delete(check);
  };
  /** Resolves once `ready()` holds; none of these streams may stop, so a stop fails the wait at once, saying why. */
  const until = (ready: () => boolean, what: string, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(check);
        reject(new Error(`${what}: not within ${timeoutMs} ms (${messages.length} messages)`));
      }, timeoutMs);
      const check = () => {
        if (stopped === undefined && !ready()) return false;
        clearTimeout(timer);
        if (stopped === undefined) resolve();
        else reject(new Error(`${what}: the stream stopped: ${JSON.stringify(stopped)}`));
        return true;
      };
      if (!check()) pending.add(check);
    });
  return {
    messages,
    closeCodes,
    get reconnects() {
      return reconnects;
    },
    /** The stream's callbacks (followMessages options). */
    handlers: {
      onMessage(message: Message) {
        messages.push(message);
        settle();
      },
      onConnected(reconnected: boolean) {
        if (reconnected) reconnects++;
      },
      onDisconnected(code: number | undefined) {
        closeCodes.push(code);
        settle();
      },
      onStop(reason: StopReason) {
        stopped = reason;
        settle();
      },
    },
    waitFor: (count: number) => until(() => messages.length >= count, `${count} messages`),
    disconnected: () => until(() => closeCodes.length > 0, 'a disconnect'),
  };
}

/** Reconnects quickly: the proxy refuses connections only while the test sends. The client's backoff, not a wait of the test. */
const quickRetry = (retries: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(100, 10 * 2 ** retries)));

describe('graphql() per operation', () => {
  const files = readdirSync(new URL('../clients/operations/', import.meta.url), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.graphql'))
    .map((file) => ({ file, text: readFileSync(new URL(`../clients/operations/${file}`, import.meta.url), 'utf8') }));

  it('takes the text of every operation file (comments left out) and returns that operation', () => {
    expect(files.length).toBe(32);
    for (const { file, text } of files) {
      const body = text.replace(/^#.*\n/gm, '').trimEnd();
      const document = parse(body);
      expect(document.definitions, file).toHaveLength(1);
      // Written as print() writes it, which is the text the preset keys graphql() by.
      expect(print(document), file).toBe(body);
      const name = (document.definitions[0] as { name?: { value: string } }).name?.value;
      expect(name, file).toBe(file.replace(/^.*\//, '').replace('.graphql', ''));
      const found = graphql(body) as DocumentNode;
      expect((found.definitions[0] as { name?: { value: string } }).name?.value, file).toBe(name);
    }
  });

  it('knows no text it was not generated from', () => {
    expect(graphql('query Me { me { id } }')).toEqual({});
  });
});

describe('typed operations over HTTP', () => {
  it('runs a typed query by its text and by its documentId, with the same answer', async () => {
    const ada = await register();
    const byText = await ada.http.execute(MeDocument);
    expect(byText.me).toMatchObject({ id: ada.id, email: ada.email, followersCount: 0, postsCount: 0 });
    const byId = await ada.http.execute(MeDocument, {}, { persisted: true });
    expect(byId).toEqual(byText);
    expect(documentIdOf(MeDocument)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifest[documentIdOf(MeDocument)]).toContain('query Me');
  });

  it('signs in with the graphql() Login, and reports refusals by code', async () => {
    const ada = await register();
    const anonymous = createHttpClient({ url });
    const session = await signIn(anonymous, ada.email, PASSWORD);
    expect(session.user.id).toBe(ada.id);
    const me = await createHttpClient({ url, token: session.token }).execute(MeDocument);
    expect(me.me?.id).toBe(ada.id);

    const wrong = await signIn(anonymous, ada.email, 'not the password').catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(ApiRequestError);
    expect((wrong as ApiRequestError).codes).toEqual(['UNAUTHENTICATED']);
    const refused = await anonymous.execute(StartConversationDocument, { memberIds: [ada.id] }).catch((error: unknown) => error);
    expect((refused as ApiRequestError).has('UNAUTHENTICATED')).toBe(true);
    // A hash the gateway's manifest lacks (an app built against newer operations than it runs).
    const newer = { ...MeDocument, __meta__: { hash: `sha256:${'0'.repeat(64)}` } } as typeof MeDocument;
    const unknownId = await anonymous.execute(newer, {}, { persisted: true }).catch((error: unknown) => error);
    expect(unknownId).toMatchObject({ status: 404, codes: ['PERSISTED_QUERY_NOT_FOUND'] });
  });
});

describe('messageAdded through the example stream', () => {
  it('resumes after a forced disconnect: messages sent meanwhile arrive once, in order, then live ones', async () => {
    const ada = await register();
    const bob = await register(proxiedUrl);
    const { startConversation: chat } = await ada.http.execute(StartConversationDocument, { memberIds: [bob.id] });
    await send(ada, chat.id, 'before the screen opened');

    // Bob opens the conversation: its newest page (a typed query), then the stream from its newest message.
    const { conversation } = await bob.http.execute(ConversationDocument, { id: chat.id, first: 20 });
    expect(conversation?.messages.nodes.map((message) => message.body)).toEqual(['before the screen opened']);
    const newest = conversation?.messages.nodes[0]?.id;
    const wsUrl = proxiedUrl.replace(/^http/, 'ws');
    // The printed document, and the manifest's text of it (what a PERSISTED_OPERATIONS_ONLY gateway runs).
    const printed = receiver();
    const trusted = receiver();
    for (const [into, query] of [
      [printed, undefined],
      [trusted, manifest[documentIdOf(MessageAddedDocument)]],
    ] as const) {
      streams.push(
        followMessages({
          url: wsUrl,
          token: () => bob.token,
          conversationId: chat.id,
          ...(newest === undefined ? {} : { after: newest }),
          ...(query === undefined ? {} : { query }),
          webSocketImpl: WebSocket,
          retryAttempts: 100,
          retryWait: quickRetry,
          ...into.handlers,
        }),
      );
    }
    const sent = [await send(ada, chat.id, 'live, before the tunnel')];
    await Promise.all([printed.waitFor(1), trusted.waitFor(1)]);

    await proxy.stop();
    await Promise.all([printed.disconnected(), trusted.disconnected()]);
    for (const body of ['in the tunnel 1', 'in the tunnel 2', 'in the tunnel 3']) sent.push(await send(ada, chat.id, body));
    await proxy.restart();
    await Promise.all([printed.waitFor(4), trusted.waitFor(4)]);
    sent.push(await send(ada, chat.id, 'live again'));
    await Promise.all([printed.waitFor(5), trusted.waitFor(5)]);

    for (const into of [printed, trusted]) {
      expect(into.messages).toEqual(sent);
      expect(into.reconnects).toBeGreaterThanOrEqual(1);
    }
    expect(streams.map((stream) => stream.lastMessageId)).toEqual([sent[4]?.id, sent[4]?.id]);
  });

  it('reconnects with a fresh token when its token expires (4403), and stops on a second 4403', async () => {
    const ada = await register();
    const bob = await register();
    const { startConversation: chat } = await ada.http.execute(StartConversationDocument, { memberIds: [bob.id] });
    const first = await send(ada, chat.id, 'hello');
    // Valid for two seconds: the gateway closes the socket with 4403 "Token expired" then.
    const shortLived = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(bob.id)
      .setIssuer('chitlaq')
      .setAudience('chitlaq-graph')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    /** The first connection gets the short-lived token, every later one a fresh token, as an app that signed in again. */
    let connections = 0;
    const currentToken = () => (connections++ === 0 ? shortLived : bob.token);
    const refreshed = receiver();
    let staleConnections = 0;
    let stopped: (reason: StopReason) => void = () => undefined;
    const stale = new Promise<StopReason>((resolve) => {
      stopped = resolve;
    });
    const options = { url: url.replace(/^http/, 'ws'), conversationId: chat.id, after: first.id, webSocketImpl: WebSocket };
    streams.push(
      followMessages({ ...options, token: currentToken, retryWait: quickRetry, ...refreshed.handlers }),
      followMessages({
        ...options,
        token: () => {
          staleConnections++;
          return shortLived;
        },
        retryWait: quickRetry,
        onMessage: () => undefined,
        onStop: stopped,
      }),
    );
    const sent = [await send(ada, chat.id, 'while the token is valid')];
    await refreshed.waitFor(1);
    await refreshed.disconnected();
    expect(refreshed.closeCodes[0]).toBe(4403);
    sent.push(await send(ada, chat.id, 'after the refresh'));
    await refreshed.waitFor(2);
    expect(refreshed.messages).toEqual(sent);
    expect(refreshed.reconnects).toBe(1);
    // The same expired token again: refused at connection_init, and the stream gives up.
    expect(await stale).toMatchObject({ kind: 'closed', code: 4403 });
    expect(staleConnections).toBe(2);
  });

  it(`subscribes again with \`after\` when a replay stops at ${MAX_REPLAY} messages`, async () => {
    const ada = await register();
    const bob = await register();
    const { startConversation: chat } = await ada.http.execute(StartConversationDocument, { memberIds: [bob.id] });
    // Stored straight into the database (no publishing): what a long-offline phone missed.
    const sender = createMessageSender(platform.database.kysely as Kysely<MessagesDatabase>);
    const total = MAX_REPLAY + 5;
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        sender.send({ conversationId: chat.id, senderId: ada.id, body: `missed ${i}`, clientMessageId: `missed-${i}` }),
      ),
    );
    const { rows: stored } = await sql<{ id: string }>`
      select id from messages.messages where conversation_id = ${chat.id} order by seq`.execute(platform.database.kysely);
    expect(stored).toHaveLength(total);

    const into = receiver();
    streams.push(
      followMessages({
        url: url.replace(/^http/, 'ws'),
        token: () => bob.token,
        conversationId: chat.id,
        after: stored[0]?.id as string,
        webSocketImpl: WebSocket,
        retryWait: quickRetry,
        ...into.handlers,
      }),
    );
    await into.waitFor(total - 1);
    const live = await send(ada, chat.id, 'live after the replay');
    await into.waitFor(total);
    expect(into.messages.map((message) => message.id)).toEqual([...stored.slice(1).map((row) => row.id), live.id]);
  });
});

describe('which errors resume a subscription (resumeDelayMs)', () => {
  it('resumes after retryAfter, after a capped replay, and after a failed catch-up; not otherwise', () => {
    const error = (extensions: Record<string, unknown>) => ({ message: 'ended', extensions });
    expect(resumeDelayMs([error({ code: 'RATE_LIMITED', retryAfter: 0 })], false)).toBe(0);
    expect(resumeDelayMs([error({ code: 'RATE_LIMITED', retryAfter: 3 })], true)).toBe(3000);
    expect(resumeDelayMs([error({ code: 'BAD_USER_INPUT', field: 'after' })], true)).toBe(0);
    expect(resumeDelayMs([error({ code: 'INTERNAL_SERVER_ERROR' })], false)).toBe(1000);
    expect(resumeDelayMs([error({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'messages' })], false)).toBe(1000);
    // An `after` the viewer cannot see is refused before any message: resubscribing would repeat it.
    expect(resumeDelayMs([error({ code: 'BAD_USER_INPUT', field: 'after' })], false)).toBeUndefined();
    expect(resumeDelayMs([error({ code: 'BAD_USER_INPUT', field: 'conversationId' })], true)).toBeUndefined();
    expect(resumeDelayMs([error({ code: 'UNAUTHENTICATED' })], true)).toBeUndefined();
    expect(resumeDelayMs([error({ code: 'FORBIDDEN' })], true)).toBeUndefined();
    expect(resumeDelayMs([error({ code: 'RATE_LIMITED', retryAfter: 1 }), error({ code: 'FORBIDDEN' })], true)).toBeUndefined();
    expect(resumeDelayMs([], true)).toBeUndefined();
  });
});
