import { randomBytes } from 'node:crypto';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export interface GraphQLResponse<D = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data: D | null | undefined;
  errors: GraphQLErrorShape[] | undefined;
}

/** POSTs one operation, the way a frontend does; `token` becomes the Authorization header. */
// biome-ignore lint/suspicious/noExplicitAny: tests read response data loosely, asserting its shape with expect()
export async function graphql<D = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string | undefined; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<D>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: D | null; errors?: GraphQLErrorShape[] };
  return { status: response.status, headers: response.headers, data: body.data, errors: body.errors };
}

/** The `extensions.code` of each error, in order: what most assertions compare. */
export function errorCodes(response: GraphQLResponse<unknown>): (string | undefined)[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

/** A unique suffix so every test makes its own users and never shares state. */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
}

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) { token user { id username } }
  }
`;

/** Registers a fresh user through the gateway and returns its credentials and token. */
export async function registerUser(
  url: string,
  overrides: Partial<{ username: string; email: string; password: string; displayName: string; university: string }> = {},
): Promise<TestUser> {
  const username = overrides.username ?? uniqueName();
  const input = {
    email: overrides.email ?? `${username}@example.edu`,
    username,
    password: overrides.password ?? 'correct horse battery',
    displayName: overrides.displayName ?? `Student ${username}`,
    ...(overrides.university === undefined ? {} : { university: overrides.university }),
  };
  const response = await graphql<{ register: { token: string; user: { id: string; username: string } } }>(url, REGISTER, {
    input,
  });
  if (response.errors !== undefined || !response.data) throw new Error(`register failed: ${JSON.stringify(response.errors)}`);
  return {
    id: response.data.register.user.id,
    username: response.data.register.user.username,
    email: input.email.toLowerCase(),
    password: input.password,
    token: response.data.register.token,
  };
}
