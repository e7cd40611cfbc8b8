import { beforeAll, describe, expect, it } from 'vitest';
import { PRESENCE_TTL_SECONDS, presenceKey } from '../lib/infra/presence.js';
import { errorCodes, graphql, registerUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

/**
 * Presence keys are written by the process that holds a user's WebSocket (the real-time
 * issue); here the test writes them the same way to check the read side: User.online and
 * onlineUsers.
 */
describe('presence', () => {
  it('User.online reflects the presence key, and onlineUsers lists online followings only', async () => {
    const [viewer, online, offline, stranger] = await Promise.all([
      registerUser(url),
      registerUser(url),
      registerUser(url),
      registerUser(url),
    ]);
    for (const target of [online, offline]) {
      await graphql(url, 'mutation ($id: ID!) { follow(userId: $id) { id } }', { id: target.id }, { token: viewer.token });
    }
    await platform.store.set(presenceKey(online.id), '1', PRESENCE_TTL_SECONDS);
    await platform.store.set(presenceKey(stranger.id), '1', PRESENCE_TTL_SECONDS);

    const status = await graphql(url, 'query ($a: ID, $b: ID) { a: user(id: $a) { online } b: user(id: $b) { online } }', {
      a: online.id,
      b: offline.id,
    });
    expect(status.data).toEqual({ a: { online: true }, b: { online: false } });

    const list = await graphql(url, '{ onlineUsers { id } }', {}, { token: viewer.token });
    expect(list.data.onlineUsers).toEqual([{ id: online.id }]);

    await platform.store.del([presenceKey(online.id)]);
    const after = await graphql(url, '{ onlineUsers { id } }', {}, { token: viewer.token });
    expect(after.data.onlineUsers).toEqual([]);
  });

  it('onlineUsers needs a signed-in viewer', async () => {
    expect(errorCodes(await graphql(url, '{ onlineUsers { id } }'))).toEqual(['UNAUTHENTICATED']);
  });
});
