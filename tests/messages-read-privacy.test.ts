import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql, registerUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';
import { signedFor } from './support/signed-subgraph.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const MARK = 'mutation ($c: ID!, $m: ID!) { markRead(conversationId: $c, messageId: $m) { id unreadCount } }';
const UNREAD = 'query ($c: ID!) { conversation(id: $c) { unreadCount } }';

describe('markRead and unreadCount', () => {
  it('counts others’ messages after the marker, and moves the marker forward only', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const m1 = await sendMessage(url, bob, conversation.id, 'one');
    await sendMessage(url, ada, conversation.id, 'mine does not count');
    const m3 = await sendMessage(url, bob, conversation.id, 'three');
    await sendMessage(url, bob, conversation.id, 'four');
    const unread = async () =>
      (await graphql(url, UNREAD, { c: conversation.id }, { token: ada.token })).data.conversation.unreadCount;
    expect(await unread()).toBe(3);

    const marked = await graphql(url, MARK, { c: conversation.id, m: m3.id }, { token: ada.token });
    expect(marked.data.markRead).toEqual({ id: conversation.id, unreadCount: 1 });
    // Marking an older message does not move the marker back.
    const back = await graphql(url, MARK, { c: conversation.id, m: m1.id }, { token: ada.token });
    expect(back.data.markRead.unreadCount).toBe(1);
    // Bob's own count is unaffected by Ada's marker: Ada's one message is unread for him.
    expect((await graphql(url, UNREAD, { c: conversation.id }, { token: bob.token })).data.conversation.unreadCount).toBe(1);
  });

  it('rejects a message of another conversation, unknown ids, non-members', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const ours = await startConversation(url, ada, [bob]);
    const other = await startConversation(url, ada, [eve]);
    const elsewhere = await sendMessage(url, eve, other.id, 'elsewhere');
    const mine = await sendMessage(url, bob, ours.id, 'here');
    const wrong = await graphql(url, MARK, { c: ours.id, m: elsewhere.id }, { token: ada.token });
    expect(errorCodes(wrong)).toEqual(['BAD_USER_INPUT']);
    expect(wrong.errors?.[0]?.extensions?.field).toBe('messageId');
    expect(
      errorCodes(await graphql(url, MARK, { c: '00000000-0000-4000-8000-000000000000', m: mine.id }, { token: ada.token })),
    ).toEqual(['NOT_FOUND']);
    expect(errorCodes(await graphql(url, MARK, { c: ours.id, m: mine.id }, { token: eve.token }))).toEqual(['FORBIDDEN']);
  });
});

describe('privacy', () => {
  it('a non-member gets FORBIDDEN from conversation(id); an unknown id is null', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    await sendMessage(url, ada, conversation.id, 'secret');
    const response = await graphql(
      url,
      'query ($c: ID!) { conversation(id: $c) { id messages { nodes { body } } } }',
      { c: conversation.id },
      { token: eve.token },
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(response)).not.toContain('secret');
    const unknown = await graphql(
      url,
      'query ($c: ID!) { conversation(id: $c) { id } }',
      { c: '00000000-0000-4000-8000-000000000000' },
      { token: eve.token },
    );
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data.conversation).toBeNull();
    expect(errorCodes(await graphql(url, 'query ($c: ID!) { conversation(id: $c) { id } }', { c: conversation.id }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('resolves Conversation and Message references through _entities for members only', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const message = await sendMessage(url, ada, conversation.id, 'for members');
    const query = /* GraphQL */ `
      query ($r: [_Any!]!) {
        _entities(representations: $r) {
          ... on Conversation { id messages { nodes { body } } }
          ... on Message { id body }
        }
      }
    `;
    const representations = [
      { __typename: 'Conversation', id: conversation.id },
      { __typename: 'Message', id: message.id },
    ];
    const subgraph = platform.subgraphs.messages.url;
    const headers = signedFor(platform, query, { r: representations });
    const asMember = await graphql(subgraph, query, { r: representations }, { token: bob.token, headers });
    expect(asMember.data._entities).toEqual([
      { id: conversation.id, messages: { nodes: [{ body: 'for members' }] } },
      { id: message.id, body: 'for members' },
    ]);
    for (const token of [eve.token, undefined]) {
      const outsider = await graphql(subgraph, query, { r: representations }, { token, headers });
      expect(outsider.data._entities).toEqual([null, null]);
      expect(JSON.stringify(outsider)).not.toContain('for members');
    }
  });

  it('lists only the viewer’s own conversations', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    await startConversation(url, ada, [bob]);
    const list = await graphql(url, '{ conversations { nodes { id } } }', {}, { token: eve.token });
    expect(list.data.conversations.nodes).toEqual([]);
  });
});
