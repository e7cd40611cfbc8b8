import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, gatewaySettingsFrom, SUPERGRAPH_FILE } from '../../gateway/server.js';
import { startHttpServer } from '../../lib/infra/http-server.js';
import { createLogger } from '../../lib/kernel/logger.js';
import {
  type Answer,
  askGateway,
  expectedOfOurs,
  type FixOfOurs,
  type GatewayRequest,
} from '../../tools/federation-diff/answers.js';
import { type RunningGateway, startStockGateway } from '../../tools/federation-diff/gateways.js';
import { loadClientOperations } from '../support/federation/client-operations.js';
import { WorldNormalizer } from '../support/federation/world-normalizer.js';
import { usePlatform } from '../support/platform.js';

/**
 * The project's own supergraph through stock Apollo and through ours, caches on (cold, then
 * warm), off, and the entity cache alone (cold, then warm: the warm answer is put together from
 * cached subgraph fetches): every query and mutation of clients/operations. A mutation cannot run four
 * times over one state, so each gateway gets a world of its own, the same story with its own
 * accounts (alice, bob), told in lockstep: every step runs on every world before the next, and
 * the answers are compared normalized (world-normalizer.ts). A query that follows a mutation
 * reads what the mutation wrote, so a cache that missed an invalidation answers stale and fails.
 * Subscriptions are not compared: stock Apollo Server does not serve them.
 */

const operations = loadClientOperations();
const PASSWORD = 'correct horse battery staple';

type Person = 'alice' | 'bob' | 'carol';

interface World {
  readonly label: 'stock' | 'cached' | 'uncached' | 'entity';
  readonly gateway: RunningGateway;
  readonly prefix: string;
  readonly normalizer: WorldNormalizer;
  readonly tokens: Partial<Record<Person, string>>;
  readonly ids: Partial<Record<Person | 'post' | 'conversation' | 'message', string>>;
}

interface Step {
  /** A client operation, or the name of `document`'s. */
  readonly operation: string;
  /** An operation of the test's own, not of clients/operations. */
  readonly document?: string;
  readonly as?: Person;
  readonly variables?: (world: World) => Record<string, unknown>;
  /** Reads what later steps need off this world's answer. */
  readonly remember?: (world: World, data: Record<string, unknown>) => void;
  /** A step whose answer is an error, on purpose. */
  readonly refused?: true;
  readonly fixOfOurs?: FixOfOurs;
}

const usernameOf = (world: World, who: Person) => `${world.prefix}_${who}`;
const registerStep = (who: Person): Step => ({
  operation: 'Register',
  variables: (world) => ({
    input: {
      email: `${usernameOf(world, who)}@example.edu`,
      username: usernameOf(world, who),
      password: PASSWORD,
      displayName: `${who} of ${world.prefix}`,
    },
  }),
  remember: (world, data) => {
    const { token, user } = data.register as { token: string; user: { id: string } };
    world.tokens[who] = token;
    world.ids[who] = user.id;
  },
});
const post = (world: World) => ({ id: world.ids.post });
const conversation = (world: World) => ({ conversationId: world.ids.conversation });

const POST_WITHOUT_IDS = 'query PostWithoutIds($id: ID!) { post(id: $id) { content author { displayName } } }';

const STORY: readonly Step[] = [
  // Before any post: an aggregate over every world, so only comparable while it is empty.
  { operation: 'TrendingHashtags', variables: () => ({ limit: 5 }) },
  {
    operation: 'OnlineUsers',
    variables: () => ({ first: 5 }),
    refused: true,
    // The users subgraph refuses it with 401 and its own GraphQL error; stock reads only the status.
    fixOfOurs: {
      why: "a subgraph's GraphQL answer under a non-2xx status is taken for the GraphQL answer it is",
      answer: (stock) => ({
        ...stock,
        errors: [{ message: 'You must be signed in to do this.', path: ['onlineUsers'], code: 'UNAUTHENTICATED' }],
      }),
    },
  },
  registerStep('alice'),
  registerStep('bob'),
  registerStep('carol'),
  { operation: 'OnlineUsers', as: 'bob', variables: () => ({ first: 5 }) },
  {
    operation: 'Login',
    variables: (world) => ({ email: `${usernameOf(world, 'alice')}@example.edu`, password: PASSWORD }),
    remember: (world, data) => {
      world.tokens.alice = (data.login as { token: string }).token;
    },
  },
  { operation: 'Me', as: 'alice' },
  {
    operation: 'UpdateProfile',
    as: 'alice',
    variables: () => ({ input: { displayName: 'Alice', university: 'Tartu', bio: 'compilers' } }),
  },
  { operation: 'Me', as: 'alice' },
  { operation: 'UserProfile', variables: (world) => ({ username: usernameOf(world, 'alice') }) },
  { operation: 'UserProfile', as: 'bob', variables: (world) => ({ id: world.ids.alice }) },
  { operation: 'Follow', as: 'bob', variables: (world) => ({ userId: world.ids.alice }) },
  { operation: 'UserProfile', as: 'bob', variables: (world) => ({ id: world.ids.alice }) },
  { operation: 'Followers', variables: (world) => ({ userId: world.ids.alice }) },
  { operation: 'Following', as: 'bob', variables: (world) => ({ userId: world.ids.bob, first: 5 }) },
  { operation: 'SearchUsers', as: 'bob', variables: (world) => ({ query: world.prefix }) },
  {
    operation: 'CreatePost',
    as: 'alice',
    variables: (world) => ({ content: `hello ${world.prefix}word #${world.prefix}tag` }),
    remember: (world, data) => {
      world.ids.post = (data.createPost as { id: string }).id;
    },
  },
  { operation: 'Post', variables: post },
  // No id selected: the cache indexes the author as any User, and must still drop the answer
  // when the author's profile changes (gateway/response-cache/result-entities.ts).
  { operation: 'PostWithoutIds', document: POST_WITHOUT_IDS, variables: post },
  { operation: 'UpdateProfile', as: 'alice', variables: () => ({ input: { displayName: 'Alice L.' } }) },
  { operation: 'PostWithoutIds', document: POST_WITHOUT_IDS, variables: post },
  { operation: 'LikePost', as: 'bob', variables: post },
  { operation: 'Post', variables: post },
  { operation: 'Post', as: 'bob', variables: post },
  { operation: 'Feed', as: 'bob', variables: () => ({ first: 5 }) },
  { operation: 'SearchPosts', variables: (world) => ({ query: `${world.prefix}word` }) },
  { operation: 'PostsByHashtag', as: 'bob', variables: (world) => ({ tag: `${world.prefix}tag` }) },
  { operation: 'UserProfile', variables: (world) => ({ username: usernameOf(world, 'alice') }) },
  { operation: 'UnlikePost', as: 'bob', variables: post },
  { operation: 'Post', variables: post },
  {
    operation: 'StartConversation',
    as: 'alice',
    variables: (world) => ({ memberIds: [world.ids.bob, world.ids.carol], title: 'plans' }),
    remember: (world, data) => {
      world.ids.conversation = (data.startConversation as { id: string }).id;
    },
  },
  {
    operation: 'SendMessage',
    as: 'alice',
    variables: (world) => ({ ...conversation(world), body: 'lunch?', clientMessageId: `${world.prefix}-m1` }),
    remember: (world, data) => {
      world.ids.message = (data.sendMessage as { id: string }).id;
    },
  },
  { operation: 'Conversations', as: 'bob', variables: () => ({ first: 5 }) },
  { operation: 'Conversation', as: 'bob', variables: (world) => ({ id: world.ids.conversation, first: 5 }) },
  { operation: 'MarkRead', as: 'bob', variables: (world) => ({ ...conversation(world), messageId: world.ids.message }) },
  { operation: 'Conversations', as: 'bob', variables: () => ({ first: 5 }) },
  { operation: 'SetTyping', as: 'bob', variables: (world) => ({ ...conversation(world), typing: true }) },
  { operation: 'LeaveConversation', as: 'bob', variables: conversation },
  { operation: 'Conversations', as: 'bob', variables: () => ({ first: 5 }) },
  { operation: 'Unfollow', as: 'bob', variables: (world) => ({ userId: world.ids.alice }) },
  { operation: 'Followers', variables: (world) => ({ userId: world.ids.alice }) },
  { operation: 'DeletePost', as: 'alice', variables: post },
  { operation: 'Post', variables: post },
  { operation: 'UserProfile', variables: (world) => ({ username: usernameOf(world, 'alice') }) },
];

const platform = usePlatform();
let uncachedStop: (() => Promise<void>) | undefined;
let stock: RunningGateway | undefined;
const worlds: World[] = [];
let entityOnly: Gateway | undefined;

beforeAll(async () => {
  const subgraphUrls = Object.fromEntries(Object.entries(platform.subgraphs).map(([name, { url }]) => [name, url]));
  stock = await startStockGateway(readFileSync(SUPERGRAPH_FILE, 'utf8'), {
    subgraphUrls,
    signingSecret: platform.config.subgraphSigning.secret,
    forwardHeaders: ['authorization'],
  });
  const uncached = await createGateway({
    subgraphUrls,
    tokens: platform.tokens,
    store: platform.store,
    logger: createLogger({ level: platform.config.log.level, pretty: false }),
    ...gatewaySettingsFrom({
      ...platform.config,
      responseCache: { ...platform.config.responseCache, enabled: false },
      entityCache: { ...platform.config.entityCache, enabled: false },
    }),
  });
  const server = await startHttpServer(uncached.handler, { port: 0, host: '127.0.0.1' });
  entityOnly = await createGateway({
    subgraphUrls,
    tokens: platform.tokens,
    store: platform.store,
    logger: createLogger({ level: platform.config.log.level, pretty: false }),
    ...gatewaySettingsFrom({
      ...platform.config,
      responseCache: { ...platform.config.responseCache, enabled: false },
      entityCache: { ...platform.config.entityCache, enabled: true },
    }),
  });
  const entityServer = await startHttpServer(entityOnly.handler, { port: 0, host: '127.0.0.1' });
  uncachedStop = async () => {
    await server.close(0);
    await uncached.stop();
    await entityServer.close(0);
    await entityOnly?.stop();
  };
  const gateways: [World['label'], RunningGateway][] = [
    ['stock', stock],
    ['cached', { label: 'ours (response cache on)', url: platform.gatewayUrl, stop: async () => undefined }],
    ['uncached', { label: 'ours (caches off)', url: `http://127.0.0.1:${server.port}/graphql`, stop: uncachedStop }],
    [
      'entity',
      { label: 'ours (entity cache alone)', url: `http://127.0.0.1:${entityServer.port}/graphql`, stop: async () => undefined },
    ],
  ];
  for (const [label, gateway] of gateways) {
    const prefix = `${label[0]}${randomBytes(4).toString('hex')}`;
    worlds.push({ label, gateway, prefix, normalizer: new WorldNormalizer(prefix), tokens: {}, ids: {} });
  }
});
afterAll(async () => {
  await stock?.stop();
  await uncachedStop?.();
});

describe('federation differential: the project supergraph, every client operation', () => {
  it('has a step for every query and mutation of clients/operations', () => {
    const told = new Set(STORY.filter((step) => step.document === undefined).map((step) => step.operation));
    const untold = [...operations.values()].filter((operation) => operation.kind !== 'subscription' && !told.has(operation.name));
    expect(untold.map((operation) => operation.name)).toEqual([]);
  });

  STORY.forEach((step, index) => {
    it(`${index + 1}. ${step.operation}${step.as === undefined ? '' : ` as ${step.as}`}`, async () => {
      const operation =
        step.document === undefined
          ? operations.get(step.operation)
          : { name: step.operation, kind: 'query' as const, document: step.document };
      if (operation === undefined) throw new Error(`no operation ${step.operation} in clients/operations`);
      const answers: Partial<Record<'stock' | 'cold' | 'warm' | 'off' | 'entityCold' | 'entityWarm', Answer>> = {};
      const xCache: (string | null)[] = [];
      for (const world of worlds) {
        const token = step.as === undefined ? undefined : world.tokens[step.as];
        const request: GatewayRequest = {
          query: operation.document,
          variables: step.variables?.(world) ?? {},
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        };
        const first = await askGateway(world.gateway, request);
        step.remember?.(world, (first.answer.data ?? {}) as Record<string, unknown>);
        if (world.label === 'stock') answers.stock = world.normalizer.answer(first.answer);
        if (world.label === 'uncached') answers.off = world.normalizer.answer(first.answer);
        if (world.label === 'entity') {
          answers.entityCold = world.normalizer.answer(first.answer);
          if (operation.kind === 'query')
            answers.entityWarm = world.normalizer.answer((await askGateway(world.gateway, request)).answer);
        }
        if (world.label === 'cached') {
          answers.cold = world.normalizer.answer(first.answer);
          xCache.push(first.xCache);
          // A mutation runs once: a second one would be another write.
          if (operation.kind === 'query') {
            const second = await askGateway(world.gateway, request);
            answers.warm = world.normalizer.answer(second.answer);
            xCache.push(second.xCache);
          }
        }
      }
      const expected = expectedOfOurs(step, answers.stock as Answer);
      // The story is told right: only a step meant to be refused is.
      expect(answers.stock?.errors === undefined).toBe(step.refused !== true);
      expect(answers).toStrictEqual({
        stock: answers.stock,
        cold: expected,
        off: expected,
        entityCold: expected,
        ...(operation.kind === 'query' ? { warm: expected, entityWarm: expected } : {}),
      });
      // A cacheable answer is cached: the warm request was answered from the cache.
      if (xCache[0] === 'MISS') expect(xCache[1]).toBe('HIT');
    });
  });

  it('the entity cache alone answered its warm queries with cached fetches, of both subgraphs that own entities', async () => {
    const text = await (entityOnly as Gateway).metrics.registry.metrics();
    for (const subgraph of ['users', 'posts']) {
      const hits = new RegExp(
        `gateway_entity_cache_lookups_total\\{[^}]*subgraph="${subgraph}"[^}]*outcome="hit"[^}]*\\} (\\d+)`,
      ).exec(text);
      expect(Number(hits?.[1] ?? 0)).toBeGreaterThan(0);
    }
  });
});
