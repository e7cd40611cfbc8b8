import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const START = /* GraphQL */ `
  mutation ($ids: [ID!]!, $title: String) {
    startConversation(memberIds: $ids, title: $title) { id title isGroup members { id username } unreadCount lastMessage { id } createdAt updatedAt }
  }
`;

describe('startConversation', () => {
  it('starts a 1:1 conversation with the viewer as a member, and returns it again for the same pair', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const first = await graphql(url, START, { ids: [bob.id] }, { token: ada.token });
    expect(first.errors).toBeUndefined();
    const conversation = first.data.startConversation;
    expect(conversation).toMatchObject({ isGroup: false, title: null, unreadCount: 0, lastMessage: null });
    expect(conversation.members.map((m: { id: string }) => m.id).sort()).toEqual([ada.id, bob.id].sort());
    expect(conversation.updatedAt).toBe(conversation.createdAt);

    const again = await graphql(url, START, { ids: [ada.id] }, { token: bob.token });
    expect(again.data.startConversation.id).toBe(conversation.id);
  });

  it('gives both people the same conversation when they start it at the same moment', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        graphql(url, START, { ids: [i % 2 ? ada.id : bob.id] }, { token: i % 2 ? bob.token : ada.token }),
      ),
    );
    const ids = new Set(attempts.map((r) => r.data.startConversation.id));
    expect(ids.size).toBe(1);
    const listed = await graphql(url, '{ conversations { nodes { id } } }', {}, { token: ada.token });
    expect(listed.data.conversations.nodes).toEqual([{ id: [...ids][0] }]);
  });

  it('starts a new group each time, with a title, for 3 to 50 members', async () => {
    const users: TestUser[] = await Promise.all(Array.from({ length: 50 }, () => registerUser(url)));
    const [owner, ...others] = users as [TestUser, ...TestUser[]];
    const group = await graphql(
      url,
      START,
      { ids: others.slice(0, 2).map((u) => u.id), title: ' Study group ' },
      { token: owner.token },
    );
    expect(group.data.startConversation).toMatchObject({ isGroup: true, title: 'Study group' });
    expect(group.data.startConversation.members).toHaveLength(3);
    const again = await graphql(url, START, { ids: others.slice(0, 2).map((u) => u.id) }, { token: owner.token });
    expect(again.data.startConversation.id).not.toBe(group.data.startConversation.id);

    const biggest = await graphql(url, START, { ids: others.map((u) => u.id) }, { token: owner.token });
    expect(biggest.data.startConversation.members).toHaveLength(50);
    const outsider = await registerUser(url);
    const tooMany = await graphql(url, START, { ids: [...others.map((u) => u.id), outsider.id] }, { token: owner.token });
    expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
  });

  it.each([
    ['an unknown user id', () => ['00000000-0000-4000-8000-000000000000']],
    ['a malformed id', () => ['not-an-id']],
    ['no other member', () => []],
  ])('rejects %s with BAD_USER_INPUT on memberIds', async (_label, ids) => {
    const ada = await registerUser(url);
    const response = await graphql(url, START, { ids: ids() }, { token: ada.token });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(String(response.errors?.[0]?.extensions?.field)).toMatch(/^memberIds/);
  });

  it('rejects a conversation with oneself, and anonymous viewers', async () => {
    const ada = await registerUser(url);
    expect(errorCodes(await graphql(url, START, { ids: [ada.id] }, { token: ada.token }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(url, START, { ids: [ada.id] }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('conversations', () => {
  const LIST = /* GraphQL */ `
    query ($first: Int, $after: String) {
      conversations(first: $first, after: $after) {
        nodes { id updatedAt unreadCount lastMessage { id body createdAt sender { username } } members { username } }
        pageInfo { hasNextPage endCursor }
      }
    }
  `;

  it('lists the viewer’s conversations, most recent activity first, with keyset pages', async () => {
    const viewer = await registerUser(url);
    const friends: TestUser[] = await Promise.all(Array.from({ length: 4 }, () => registerUser(url)));
    const conversations = [];
    for (const friend of friends) conversations.push(await startConversation(url, viewer, [friend]));
    // Activity reorders: the first conversation gets the newest message.
    const message = await sendMessage(url, friends[0] as TestUser, conversations[0]?.id as string, 'ping');

    const page1 = await graphql(url, LIST, { first: 2 }, { token: viewer.token });
    const nodes = page1.data.conversations.nodes;
    expect(nodes.map((n: { id: string }) => n.id)).toEqual([conversations[0]?.id, conversations[3]?.id]);
    expect(nodes[0]).toMatchObject({ unreadCount: 1, lastMessage: { id: message.id, body: 'ping' } });
    expect(nodes[0].updatedAt).toBe(nodes[0].lastMessage.createdAt);
    const page2 = await graphql(
      url,
      LIST,
      { first: 2, after: page1.data.conversations.pageInfo.endCursor },
      { token: viewer.token },
    );
    expect(page2.data.conversations.nodes.map((n: { id: string }) => n.id)).toEqual([conversations[2]?.id, conversations[1]?.id]);
    expect(page2.data.conversations.pageInfo.hasNextPage).toBe(false);
  });

  it('costs one statement for the page plus one batch each for members, lastMessage and unreadCount', async () => {
    const viewer = await registerUser(url);
    const friends: TestUser[] = await Promise.all(Array.from({ length: 10 }, () => registerUser(url)));
    for (const friend of friends) {
      const conversation = await startConversation(url, viewer, [friend]);
      await sendMessage(url, friend, conversation.id, `hi from ${friend.username}`);
    }
    const stats = platform.subgraphs.messages.queryStats;
    const before = stats.statements;
    const response = await graphql(url, LIST, { first: 10 }, { token: viewer.token });
    expect(response.errors).toBeUndefined();
    expect(response.data.conversations.nodes).toHaveLength(10);
    expect(response.data.conversations.nodes.every((n: { unreadCount: number }) => n.unreadCount === 1)).toBe(true);
    expect(stats.statements - before).toBeLessThanOrEqual(4);
  });

  it('needs a signed-in viewer', async () => {
    expect(errorCodes(await graphql(url, LIST))).toEqual(['UNAUTHENTICATED']);
  });
});
