import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphql, registerUser, type TestUser } from './support/graphql.js';
import { TEST_JWT_SECRET, usePlatform } from './support/platform.js';
import { eventually } from './support/until.js';
import { connectSocket } from './support/websocket.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

/** A valid token for `user` that expires in `seconds`. */
function shortLivedToken(user: TestUser, seconds: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer('chitlaq')
    .setAudience('chitlaq-graph')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(createSecretKey(Buffer.from(TEST_JWT_SECRET, 'utf8')));
}

async function isOnline(user: TestUser): Promise<boolean> {
  const response = await graphql(url, 'query ($id: ID) { user(id: $id) { online } }', { id: user.id });
  return response.data.user.online;
}

describe('gateway WebSocket connections', () => {
  it('accepts graphql-transport-ws with a valid token, and anonymously', async () => {
    const user = await registerUser(url);
    const authenticated = connectSocket(url, user.token);
    const anonymous = connectSocket(url);
    await Promise.all([authenticated.connected, anonymous.connected]);
    await Promise.all([authenticated.dispose(), anonymous.dispose()]);
  });

  it('closes with 4403 on a forged or expired token', async () => {
    const user = await registerUser(url);
    const forged = connectSocket(url, `${user.token.slice(0, -4)}AAAA`);
    expect((await forged.closed).code).toBe(4403);
    const expired = connectSocket(url, await shortLivedToken(user, -10));
    expect((await expired.closed).code).toBe(4403);
  });

  it('closes with 4403 when the token expires during the connection', async () => {
    const user = await registerUser(url);
    const socket = connectSocket(url, await shortLivedToken(user, 2));
    await socket.connected;
    const started = Date.now();
    const closed = await socket.closed;
    expect(closed).toEqual({ code: 4403, reason: 'Token expired' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('marks a user online while they hold a socket, across several sockets', async () => {
    const [user, follower] = await Promise.all([registerUser(url), registerUser(url)]);
    await graphql(url, 'mutation ($id: ID!) { follow(userId: $id) { id } }', { id: user.id }, { token: follower.token });
    expect(await isOnline(user)).toBe(false);

    const phone = connectSocket(url, user.token);
    const laptop = connectSocket(url, user.token);
    await Promise.all([phone.connected, laptop.connected]);
    expect(await isOnline(user)).toBe(true);
    const online = await graphql(url, '{ onlineUsers { id username } }', {}, { token: follower.token });
    expect(online.data.onlineUsers).toEqual([{ id: user.id, username: user.username }]);

    await phone.dispose();
    await phone.closed;
    expect(await isOnline(user)).toBe(true); // the laptop is still connected

    await laptop.dispose();
    await laptop.closed;
    await eventually(async () => (await isOnline(user)) === false, 2000);
  });

  it('does not count anonymous sockets as presence', async () => {
    const user = await registerUser(url);
    const anonymous = connectSocket(url);
    await anonymous.connected;
    expect(await isOnline(user)).toBe(false);
    await anonymous.dispose();
  });
});
