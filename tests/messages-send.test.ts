import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessagesDatabase } from '../subgraphs/messages/db/tables.js';
import { createMessageSender } from '../subgraphs/messages/services/send-messages.js';
import { errorCodes, graphql, registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const SEND = /* GraphQL */ `
  mutation ($c: ID!, $b: String!, $k: String!) {
    sendMessage(conversationId: $c, body: $b, clientMessageId: $k) {
      id body clientMessageId createdAt sender { id username } conversation { id lastMessage { id } }
    }
  }
`;
const MESSAGES = /* GraphQL */ `
  query ($id: ID!, $first: Int, $after: String) {
    conversation(id: $id) { messages(first: $first, after: $after) { nodes { id body sender { id } } pageInfo { hasNextPage endCursor } } }
  }
`;

async function storedSeqs(conversationId: string): Promise<{ seq: number; sender_id: string; body: string }[]> {
  const { rows } = await sql<{ seq: number; sender_id: string; body: string }>`
    select seq, sender_id, body from messages.messages where conversation_id = ${conversationId} order by seq`.execute(
    platform.database.kysely,
  );
  return rows;
}

describe('sendMessage', () => {
  it('stores a trimmed message and returns it with sender and conversation resolved', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const response = await graphql(url, SEND, { c: conversation.id, b: '  Merhaba!  ', k: 'k-1' }, { token: ada.token });
    expect(response.errors).toBeUndefined();
    const message = response.data.sendMessage;
    expect(message).toMatchObject({
      body: 'Merhaba!',
      clientMessageId: 'k-1',
      sender: { id: ada.id, username: ada.username },
      conversation: { id: conversation.id, lastMessage: { id: message.id } },
    });
  });

  it('is idempotent: a retry and 10 concurrent retries return the first message and store nothing new', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const first = await sendMessage(url, ada, conversation.id, 'once', 'retry-key');
    const retry = await sendMessage(url, ada, conversation.id, 'once (retried)', 'retry-key');
    expect(retry).toEqual(first);

    const key = randomUUID();
    const storm = await Promise.all(Array.from({ length: 10 }, () => sendMessage(url, ada, conversation.id, 'storm', key)));
    expect(new Set(storm.map((m) => m.id)).size).toBe(1);
    expect((await storedSeqs(conversation.id)).map((row) => row.body)).toEqual(['once', 'storm']);
    // The same key from another sender is another message.
    const bobs = await sendMessage(url, bob, conversation.id, 'mine', key);
    expect(bobs.id).not.toBe(storm[0]?.id);
  });

  it('orders messages of concurrent senders by one strictly increasing sequence, keeping each sender’s order', async () => {
    const members: TestUser[] = await Promise.all(Array.from({ length: 5 }, () => registerUser(url)));
    const [owner, ...others] = members as [TestUser, ...TestUser[]];
    const group = await startConversation(url, owner, others, 'ordering');
    // 5 senders, 20 messages each, all senders at once; each sender sends in order. Meanwhile a
    // reader polls: whenever it sees message n, it must also see every message before n.
    let sending = true;
    const holes: number[][] = [];
    const reader = (async () => {
      while (sending) {
        const seqs = (await storedSeqs(group.id)).map((row) => row.seq);
        if (seqs.some((seq, index) => seq !== index + 1)) holes.push(seqs);
        // Embedded PGlite answers within microtasks: without a turn of the event loop between
        // polls this reader would starve the very requests it watches.
        await setImmediate();
      }
    })();
    await Promise.all(
      members.map(async (sender, s) => {
        for (let i = 0; i < 20; i += 1) await sendMessage(url, sender, group.id, `${s}:${i}`);
      }),
    );
    sending = false;
    await reader;
    expect(holes).toEqual([]);
    const rows = await storedSeqs(group.id);
    expect(rows).toHaveLength(100);
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (let s = 0; s < 5; s += 1) {
      const own = rows.filter((row) => row.body.startsWith(`${s}:`)).map((row) => Number(row.body.split(':')[1]));
      expect(own).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }

    // The API pages newest first along the same sequence.
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof graphql>> = await graphql(
        url,
        MESSAGES,
        { id: group.id, first: 30, after },
        { token: owner.token },
      );
      const connection = (
        page.data as {
          conversation: { messages: { nodes: { body: string }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } };
        }
      ).conversation.messages;
      seen.push(...connection.nodes.map((n) => n.body));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after !== null);
    expect(seen).toEqual(rows.map((row) => row.body).reverse());
  });

  it('coalesces concurrent sends from many requests into multi-row inserts', async () => {
    const users: TestUser[] = await Promise.all(Array.from({ length: 11 }, () => registerUser(url)));
    const [hub, ...spokes] = users as [TestUser, ...TestUser[]];
    const conversations = await Promise.all(spokes.map((spoke) => startConversation(url, hub, [spoke])));
    const inserts: number[] = [];
    const stop = platform.database.onQuery(({ query }) => {
      if (query.sql.includes('insert into messages.messages')) inserts.push((query.parameters[0] as unknown[]).length);
    });
    try {
      const sent = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          sendMessage(url, spokes[i % 10] as TestUser, conversations[i % 10]?.id as string, `burst ${i}`),
        ),
      );
      expect(new Set(sent.map((m) => m.id)).size).toBe(50);
    } finally {
      stop();
    }
    // How many requests share a statement depends on how they arrive; none is lost or doubled.
    expect(inserts.reduce((a, b) => a + b, 0)).toBe(50);
    expect(inserts.length).toBeLessThanOrEqual(50);
  });

  it('sends everything queued in one tick as one multi-row INSERT', async () => {
    const users: TestUser[] = await Promise.all(Array.from({ length: 6 }, () => registerUser(url)));
    const [hub, ...spokes] = users as [TestUser, ...TestUser[]];
    const conversations = await Promise.all(spokes.map((spoke) => startConversation(url, hub, [spoke])));
    const sender = createMessageSender(platform.database.kysely as Kysely<MessagesDatabase>);
    const inserts: number[] = [];
    const stop = platform.database.onQuery(({ query }) => {
      if (query.sql.includes('insert into messages.messages')) inserts.push((query.parameters[0] as unknown[]).length);
    });
    try {
      const rows = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          sender.send({
            conversationId: conversations[i % 5]?.id as string,
            senderId: hub.id,
            body: `tick ${i}`,
            clientMessageId: `tick-${i}`,
          }),
        ),
      );
      // Within each conversation, the batch keeps the order the sends were made in.
      for (let c = 0; c < 5; c += 1) {
        const own = rows.filter((_, i) => i % 5 === c).map((row) => row.seq);
        expect(own).toEqual(Array.from({ length: 8 }, (_, k) => k + 1));
      }
    } finally {
      stop();
    }
    expect(inserts).toEqual([40]);
  });

  it.each([
    ['an empty body', { b: '   ' }, 'body'],
    ['a 4001-character body', { b: 'x'.repeat(4001) }, 'body'],
    ['an empty clientMessageId', { k: '' }, 'clientMessageId'],
  ])('rejects %s with BAD_USER_INPUT', async (_label, overrides, field) => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    const response = await graphql(
      url,
      SEND,
      { c: conversation.id, b: 'ok', k: randomUUID(), ...overrides },
      { token: ada.token },
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
  });

  it('accepts exactly 4000 characters', async () => {
    const [ada, bob] = await Promise.all([registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    expect((await sendMessage(url, ada, conversation.id, 'ы'.repeat(4000))).body).toHaveLength(4000);
  });

  it('answers FORBIDDEN to non-members, NOT_FOUND for an unknown conversation, UNAUTHENTICATED anonymously', async () => {
    const [ada, bob, eve] = await Promise.all([registerUser(url), registerUser(url), registerUser(url)]);
    const conversation = await startConversation(url, ada, [bob]);
    expect(errorCodes(await graphql(url, SEND, { c: conversation.id, b: 'hi', k: 'x' }, { token: eve.token }))).toEqual([
      'FORBIDDEN',
    ]);
    expect(await storedSeqs(conversation.id)).toEqual([]);
    for (const c of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expect(errorCodes(await graphql(url, SEND, { c, b: 'hi', k: 'x' }, { token: eve.token }))).toEqual(['NOT_FOUND']);
    }
    expect(errorCodes(await graphql(url, SEND, { c: conversation.id, b: 'hi', k: 'x' }))).toEqual(['UNAUTHENTICATED']);
  });
});
