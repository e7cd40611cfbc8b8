import { graphql } from '../generated/gql.js';
import type { HttpClient } from './http-client.js';

/**
 * Signing in, written with the client preset's `graphql()` idiom rather than an imported
 * document: the text is clients/operations/users/Login.graphql's, and `graphql()` returns that
 * operation's TypedDocumentNode (LoginDocument, typed result and variables). A text that matches
 * no operation file would type as `unknown` and fail `tsc` below.
 */
const LoginMutation = graphql(`mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token
    user {
      ...UserSummary
    }
  }
}`);

export interface Session {
  token: string;
  user: { id: string; username: string; displayName: string };
}

/** `login`: UNAUTHENTICATED for a wrong email or password (the same message for both), RATE_LIMITED after 10 tries in 15 minutes. */
export async function signIn(http: HttpClient, email: string, password: string): Promise<Session> {
  const { login } = await http.execute(LoginMutation, { email, password });
  return { token: login.token, user: { id: login.user.id, username: login.user.username, displayName: login.user.displayName } };
}
