import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type GraphQLError, getOperationAST, Kind, parse } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRUSTED_DOCUMENTS_FILE } from '../gateway/plugins/trusted-documents.js';
import { uniqueName } from './support/graphql.js';
import { usePlatform } from './support/platform.js';
import { connectSocket, errorsOf, subscribe, untilLive } from './support/websocket.js';

/**
 * Trusted documents (gateway/plugins/trusted-documents.ts) through the real gateway: the
 * manifest codegen writes from clients/operations/, PERSISTED_OPERATIONS_ONLY on and off.
 * With PERSISTED_OPERATIONS_ONLY even registering a user must go through the manifest, so
 * these tests send manifest operations only (by name, below), except where refusal is the point.
 */

const manifest = JSON.parse(readFileSync(TRUSTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>;

interface ManifestOperation {
  /** `sha256:<hex>`, as documentId. */
  documentId: string;
  /** The bare hex, as Apollo's persistedQuery.sha256Hash. */
  hash: string;
  document: string;
}

const operations = new Map<string, ManifestOperation>(
  Object.entries(manifest).map(([documentId, document]) => [
    getOperationAST(parse(document))?.name?.value ?? '',
    { documentId, hash: documentId.replace(/^sha256:/, ''), document },
  ]),
);

function operation(name: string): ManifestOperation {
  const found = operations.get(name);
  if (found === undefined) throw new Error(`no operation ${name} in the manifest`);
  return found;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Sent {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely, asserting their shape with expect()
  body: any;
}

/** POSTs a JSON body as is; `accept` defaults to plain JSON (validation-style errors keep 200). */
async function post(
  url: string,
  body: Record<string, unknown>,
  options: { token?: string; accept?: string } = {},
): Promise<Sent> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: options.accept ?? 'application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** `promise`, or a rejection naming `what` after `ms` (a refused operation ends at once; a live one never does). */
function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms)),
  ]);
}

const codes = (sent: Sent) => (sent.body.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);

interface Member {
  id: string;
  username: string;
  token: string;
}

/** Registers a user with the manifest's Register operation, by documentId. */
async function register(url: string): Promise<Member> {
  const username = uniqueName();
  const sent = await post(url, {
    documentId: operation('Register').documentId,
    variables: {
      input: {
        email: `${username}@example.edu`,
        username,
        password: 'correct horse battery',
        displayName: `Student ${username}`,
      },
    },
  });
  expect(sent.body.errors).toBeUndefined();
  const { token, user } = sent.body.data.register;
  return { id: user.id, username: user.username, token };
}

describe('with PERSISTED_OPERATIONS_ONLY=true', () => {
  const platform = usePlatform({ PERSISTED_OPERATIONS_ONLY: 'true' });
  let url: string;

  beforeAll(async () => {
    url = platform.gatewayUrl;
  });

  it('runs a manifest operation named by documentId (POST body)', async () => {
    const user = await register(url);
    const me = await post(url, { documentId: operation('Me').documentId }, { token: user.token });
    expect(me.status).toBe(200);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me).toMatchObject({ id: user.id, username: user.username, followersCount: 0, postsCount: 0 });
  });

  it('runs a manifest operation named by documentId as a GET parameter, and by bare hash', async () => {
    const user = await register(url);
    const created = await post(
      url,
      { documentId: operation('CreatePost').hash, variables: { content: 'trusted #docs' } },
      { token: user.token },
    );
    expect(created.body.data.createPost).toMatchObject({ content: 'trusted #docs', hashtags: ['docs'], likesCount: 0 });

    const search = new URLSearchParams({
      documentId: operation('Post').documentId,
      variables: JSON.stringify({ id: created.body.data.createPost.id }),
    });
    const response = await fetch(`${url}?${search}`, { headers: { accept: 'application/json', 'x-graphql-csrf': '1' } });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      data: {
        post: expect.objectContaining({
          id: created.body.data.createPost.id,
          content: 'trusted #docs',
          author: { id: user.id, username: user.username, displayName: `Student ${user.username}`, avatarUrl: null },
        }),
      },
    });
  });

  it("runs a manifest operation named by Apollo's persistedQuery hash, without the document", async () => {
    const sent = await post(url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: operation('TrendingHashtags').hash } },
      variables: { limit: 5 },
    });
    expect(sent.status).toBe(200);
    expect(sent.body.errors).toBeUndefined();
    expect(Array.isArray(sent.body.data.trendingHashtags)).toBe(true);
  });

  it('runs a manifest document sent in full', async () => {
    const user = await register(url);
    const { document } = operation('UserProfile');
    const sent = await post(url, { query: document, variables: { username: user.username } });
    expect(sent.body.errors).toBeUndefined();
    expect(sent.body.data.user).toMatchObject({ id: user.id, username: user.username, postsCount: 0, posts: { nodes: [] } });
  });

  it('refuses an ad-hoc query with PERSISTED_QUERY_NOT_ALLOWED: 200 for application/json, 400 for graphql-response+json', async () => {
    const json = await post(url, { query: '{ __typename }' });
    expect(json.status).toBe(200);
    expect(codes(json)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
    expect(json.body.errors[0].message).toMatch(/^Only trusted documents run on this gateway/);
    expect(json.body.data).toBeUndefined();
    expect(json.body.errors[0].extensions.http).toBeUndefined();

    const spec = await post(url, { query: '{ __typename }' }, { accept: 'application/graphql-response+json' });
    expect(spec.status).toBe(400);
    expect(codes(spec)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
  });

  it('refuses a manifest document changed in any way, even by whitespace', async () => {
    const sent = await post(url, { query: `${operation('TrendingHashtags').document} ` });
    expect(codes(sent)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
    expect(sent.body.data).toBeUndefined();
  });

  it('refuses a hash that is not in the manifest, by documentId and by persistedQuery', async () => {
    const unknown = sha256('query Nope { __typename }');
    const byId = await post(url, { documentId: `sha256:${unknown}` });
    expect(codes(byId)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
    expect(byId.body.errors[0].message).toMatch(/^Unknown document hash/);
    const byApq = await post(url, { extensions: { persistedQuery: { version: 1, sha256Hash: unknown } } });
    expect(codes(byApq)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
  });

  it('refuses an APQ registration of a new document, and stores nothing', async () => {
    const query = `query ${uniqueName('Q')} { __typename }`;
    const hash = sha256(query);
    const registration = await post(url, { query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(codes(registration)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
    expect(registration.body.data).toBeUndefined();
    expect(await platform.store.get(`apq:${hash}`)).toBeNull();
    const byHash = await post(url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(codes(byHash)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
  });

  it('refuses documentId together with query (BAD_REQUEST)', async () => {
    const { documentId, document } = operation('TrendingHashtags');
    const sent = await post(url, { documentId, query: document });
    expect(sent.status).toBe(400);
    expect(codes(sent)).toEqual(['BAD_REQUEST']);
  });

  it('refuses ad-hoc operations over the WebSocket and keeps the socket open; runs manifest ones', async () => {
    const user = await register(url);
    const socket = connectSocket(url, user.token);
    await socket.connected;

    const adHocSubscription = subscribe(socket, 'subscription { messageAdded { id body } }');
    const subscriptionErrors = errorsOf(await within(adHocSubscription.ended, 'the ad-hoc subscription'));
    expect(subscriptionErrors.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);
    expect(subscriptionErrors[0]?.message).toMatch(/^Only trusted documents run on this gateway/);
    expect(adHocSubscription.events).toEqual([]);

    const adHocQuery = subscribe(socket, '{ me { id email } }');
    const queryErrors = errorsOf(await within(adHocQuery.ended, 'the ad-hoc query'));
    expect(queryErrors.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_ALLOWED']);

    const me = subscribe(socket, operation('Me').document);
    await me.ended;
    expect(me.events).toEqual([{ data: { me: expect.objectContaining({ id: user.id, username: user.username }) } }]);
    await socket.dispose();
  });

  it('delivers a manifest subscription over the WebSocket', async () => {
    const [alice, bob] = await Promise.all([register(url), register(url)]);
    const started = await post(
      url,
      { documentId: operation('StartConversation').documentId, variables: { memberIds: [bob.id] } },
      { token: alice.token },
    );
    const conversationId = started.body.data.startConversation.id as string;
    const send = (body: string) =>
      post(
        url,
        {
          documentId: operation('SendMessage').documentId,
          variables: { conversationId, body, clientMessageId: uniqueName('m') },
        },
        { token: alice.token },
      );

    const socket = connectSocket(url, bob.token);
    await socket.connected;
    const subscription = subscribe(socket, operation('MessageAdded').document, { conversationId });
    await untilLive(subscription, () => send('warm-up'));
    await send('hello over trusted documents');
    // Late warm-ups may arrive first.
    const isHello = (event: (typeof subscription.events)[number]) =>
      event.data?.messageAdded?.body === 'hello over trusted documents';
    while (!subscription.events.some(isHello)) await subscription.waitFor(subscription.events.length + 1);
    expect(subscription.events.every((event) => event.errors === undefined)).toBe(true);
    expect(subscription.events.find(isHello)?.data?.messageAdded).toMatchObject({
      body: 'hello over trusted documents',
      conversation: { id: conversationId },
      sender: { id: alice.id, username: alice.username },
    });
    subscription.unsubscribe();
    await socket.dispose();
  });
});

describe('with PERSISTED_OPERATIONS_ONLY off (the default)', () => {
  const platform = usePlatform();
  let url: string;

  beforeAll(async () => {
    url = platform.gatewayUrl;
  });

  it('is off unless configured', () => {
    expect(platform.config.persistedOperationsOnly).toBe(false);
  });

  it('runs ad-hoc queries, as GraphiQL sends them', async () => {
    const sent = await post(url, { query: '{ __typename __schema { queryType { name } } }' });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ data: { __typename: 'Query', __schema: { queryType: { name: 'Query' } } } });
  });

  it('still resolves manifest hashes, without writing them to the APQ store', async () => {
    const { documentId, hash } = operation('TrendingHashtags');
    const byId = await post(url, { documentId, variables: { limit: 3 } });
    expect(byId.body.errors).toBeUndefined();
    expect(Array.isArray(byId.body.data.trendingHashtags)).toBe(true);

    const byApq = await post(url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(byApq.body.errors).toBeUndefined();
    expect(Array.isArray(byApq.body.data.trendingHashtags)).toBe(true);
    expect(await platform.store.get(`apq:${hash}`)).toBeNull();
  });

  it('answers an unknown documentId with PERSISTED_QUERY_NOT_FOUND (404)', async () => {
    const sent = await post(url, { documentId: `sha256:${sha256(uniqueName('nothing'))}` });
    expect(sent.status).toBe(404);
    expect(codes(sent)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(sent.body.errors[0].message).toMatch(/^Unknown documentId/);
  });

  it('still registers and runs automatic persisted queries', async () => {
    const query = `query ${uniqueName('Q')} { __typename }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    expect((await post(url, { query, extensions })).body).toEqual({ data: { __typename: 'Query' } });
    expect((await post(url, { extensions })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it("validates every manifest operation against the gateway's live schema, operation limits included", () => {
    const { schema, validate } = platform.gateway.yoga.getEnveloped({});
    const names: string[] = [];
    for (const [documentId, document] of Object.entries(manifest)) {
      expect(documentId).toBe(`sha256:${sha256(document)}`);
      const parsed = parse(document);
      const definitions = parsed.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
      expect(definitions).toHaveLength(1);
      const name = getOperationAST(parsed)?.name?.value;
      expect(name, document).toMatch(/^[A-Z][A-Za-z0-9]*$/);
      names.push(name as string);
      expect(validate(schema, parsed).map((error: GraphQLError) => error.message)).toEqual([]);
    }
    expect(new Set(names).size).toBe(names.length);
    // What the apps, tests, benchmarks and load scripts rely on.
    expect(names).toEqual(
      expect.arrayContaining([
        'Register',
        'Login',
        'Me',
        'UpdateProfile',
        'UserProfile',
        'SearchUsers',
        'Follow',
        'Unfollow',
        'OnlineUsers',
        'Feed',
        'Post',
        'CreatePost',
        'DeletePost',
        'LikePost',
        'UnlikePost',
        'SearchPosts',
        'PostsByHashtag',
        'TrendingHashtags',
        'Conversations',
        'Conversation',
        'StartConversation',
        'SendMessage',
        'MarkRead',
        'SetTyping',
        'LeaveConversation',
        'MessageAdded',
        'Typing',
      ]),
    );
  });
});
