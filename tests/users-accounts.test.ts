import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql, registerUser, uniqueName } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

const platform = usePlatform();
let url: string;

beforeAll(async () => {
  url = platform.gatewayUrl;
});

const REGISTER = /* GraphQL */ `
  mutation ($input: RegisterInput!) {
    register(input: $input) { token user { id username displayName email university createdAt followersCount } }
  }
`;
const LOGIN = /* GraphQL */ `
  mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { token user { id username email } } }
`;

function registerInput(overrides: Record<string, unknown> = {}) {
  const username = uniqueName('reg');
  return { email: `${username}@Example.edu`, username, password: 'a long password', displayName: ' Ada  ', ...overrides };
}

describe('register', () => {
  it('creates the account, lower-cases the username and email, and signs it in', async () => {
    const input = registerInput({ username: `Ada_${uniqueName('x').slice(2)}`, university: 'Boğaziçi University' });
    const response = await graphql(url, REGISTER, { input });
    expect(response.errors).toBeUndefined();
    const { token, user } = response.data.register;
    expect(token.split('.')).toHaveLength(3);
    expect(user).toMatchObject({
      username: input.username.toLowerCase(),
      displayName: 'Ada',
      email: input.email.toLowerCase(),
      university: 'Boğaziçi University',
      followersCount: 0,
    });
    expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt);

    const me = await graphql(url, '{ me { id username email } }', {}, { token });
    expect(me.data.me).toEqual({ id: user.id, username: user.username, email: user.email });
  });

  it.each([
    ['email', { email: 'not-an-email' }],
    ['email', { email: `${'x'.repeat(250)}@a.edu` }],
    ['username', { username: 'ab' }],
    ['username', { username: 'has space' }],
    ['username', { username: 'x'.repeat(31) }],
    ['password', { password: 'short' }],
    ['password', { password: 'p'.repeat(129) }],
    ['displayName', { displayName: '   ' }],
    ['university', { university: 'u'.repeat(101) }],
  ])('rejects an invalid %s with BAD_USER_INPUT naming the field', async (field, overrides) => {
    const response = await graphql(url, REGISTER, { input: registerInput(overrides) });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(response.errors?.[0]?.message).toContain(field);
  });

  it('answers CONFLICT for a taken email or username, whatever its case', async () => {
    const first = registerInput();
    await graphql(url, REGISTER, { input: first });
    const sameEmail = await graphql(url, REGISTER, { input: registerInput({ email: first.email.toUpperCase() }) });
    expect(errorCodes(sameEmail)).toEqual(['CONFLICT']);
    expect(sameEmail.errors?.[0]?.extensions?.field).toBe('email');
    const sameUsername = await graphql(url, REGISTER, { input: registerInput({ username: first.username.toUpperCase() }) });
    expect(errorCodes(sameUsername)).toEqual(['CONFLICT']);
    expect(sameUsername.errors?.[0]?.extensions?.field).toBe('username');
  });

  it('lets exactly one of many concurrent registrations of one username win; the rest get CONFLICT', async () => {
    const username = uniqueName('race');
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        graphql(url, REGISTER, { input: registerInput({ username, email: `${username}${i}@a.edu` }) }),
      ),
    );
    const winners = attempts.filter((r) => r.errors === undefined);
    expect(winners).toHaveLength(1);
    expect(attempts.flatMap(errorCodes).sort()).toEqual(Array(7).fill('CONFLICT'));
    const search = await graphql(url, 'query ($u: String!) { user(username: $u) { username } }', { u: username });
    expect(search.data.user).toEqual({ username });
  });

  it('never returns or exposes the password hash', async () => {
    const response = await graphql(url, REGISTER, { input: registerInput() });
    expect(JSON.stringify(response)).not.toMatch(/argon2/);
    const field = await graphql(url, '{ me { passwordHash } }');
    expect(errorCodes(field)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('login', () => {
  it('returns a working token and the user, email included', async () => {
    const user = await registerUser(url);
    const response = await graphql(url, LOGIN, { email: user.email.toUpperCase(), password: user.password });
    expect(response.errors).toBeUndefined();
    expect(response.data.login.user).toEqual({ id: user.id, username: user.username, email: user.email });
    const me = await graphql(url, '{ me { id } }', {}, { token: response.data.login.token });
    expect(me.data.me.id).toBe(user.id);
  });

  it('answers UNAUTHENTICATED with the same message for a wrong password and an unknown email', async () => {
    const user = await registerUser(url);
    const wrongPassword = await graphql(url, LOGIN, { email: user.email, password: 'not the password' });
    const unknownEmail = await graphql(url, LOGIN, { email: `${uniqueName()}@nowhere.edu`, password: user.password });
    expect(errorCodes(wrongPassword)).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(unknownEmail)).toEqual(['UNAUTHENTICATED']);
    expect(wrongPassword.errors?.[0]?.message).toBe(unknownEmail.errors?.[0]?.message);
    expect(wrongPassword.data).toBeNull();
  });
});

describe('me and user', () => {
  it('me is null for an anonymous viewer', async () => {
    const response = await graphql(url, '{ me { id } }');
    expect(response.errors).toBeUndefined();
    expect(response.data.me).toBeNull();
  });

  it('finds a user by id or by username (any case), null when there is none', async () => {
    const user = await registerUser(url, { displayName: 'Grace Hopper' });
    const byId = await graphql(url, 'query ($id: ID) { user(id: $id) { username displayName } }', { id: user.id });
    expect(byId.data.user).toEqual({ username: user.username, displayName: 'Grace Hopper' });
    const byName = await graphql(url, 'query ($u: String) { user(username: $u) { id } }', { u: user.username.toUpperCase() });
    expect(byName.data.user).toEqual({ id: user.id });
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const missing = await graphql(url, 'query ($id: ID) { user(id: $id) { id } }', { id });
      expect(missing.errors).toBeUndefined();
      expect(missing.data.user).toBeNull();
    }
  });

  it('asks for exactly one of id and username', async () => {
    const none = await graphql(url, '{ user { id } }');
    expect(errorCodes(none)).toEqual(['BAD_USER_INPUT']);
    const both = await graphql(url, '{ user(id: "x", username: "y") { id } }');
    expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
  });

  it('shows email to its owner only', async () => {
    const owner = await registerUser(url);
    const other = await registerUser(url);
    const query = 'query ($id: ID) { user(id: $id) { email } }';
    expect((await graphql(url, query, { id: owner.id }, { token: owner.token })).data.user.email).toBe(owner.email);
    expect((await graphql(url, query, { id: owner.id }, { token: other.token })).data.user.email).toBeNull();
    expect((await graphql(url, query, { id: owner.id })).data.user.email).toBeNull();
  });
});

describe('updateProfile', () => {
  const UPDATE = /* GraphQL */ `
    mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id displayName university bio avatarUrl } }
  `;

  it('changes the given fields, keeps omitted ones and clears those set to null', async () => {
    const user = await registerUser(url, { university: 'METU' });
    const first = await graphql(
      url,
      UPDATE,
      { input: { displayName: 'New Name', bio: 'Hello', avatarUrl: 'https://cdn.example.edu/a.png' } },
      { token: user.token },
    );
    expect(first.data.updateProfile).toEqual({
      id: user.id,
      displayName: 'New Name',
      university: 'METU',
      bio: 'Hello',
      avatarUrl: 'https://cdn.example.edu/a.png',
    });
    const second = await graphql(url, UPDATE, { input: { bio: null, university: '' } }, { token: user.token });
    expect(second.data.updateProfile).toMatchObject({ displayName: 'New Name', university: null, bio: null });
    const read = await graphql(url, 'query ($id: ID) { user(id: $id) { displayName bio } }', { id: user.id });
    expect(read.data.user).toEqual({ displayName: 'New Name', bio: null });
  });

  it.each([
    ['displayName', { displayName: '' }],
    ['displayName', { displayName: null }],
    ['bio', { bio: 'b'.repeat(501) }],
    ['avatarUrl', { avatarUrl: 'javascript:alert(1)' }],
  ])('rejects an invalid %s', async (field, input) => {
    const user = await registerUser(url);
    const response = await graphql(url, UPDATE, { input }, { token: user.token });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
  });

  it('needs a signed-in viewer', async () => {
    const response = await graphql(url, UPDATE, { input: { bio: 'x' } });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });
});
