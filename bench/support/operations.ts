import { existsSync, readFileSync } from 'node:fs';
import { Kind, parse } from 'graphql';

/**
 * The GraphQL documents the benchmark sends, by operation name. When the shipped client
 * operations' manifest exists (clients/generated/persisted-documents.json, sha256 → document),
 * an operation of the same name is taken from there, so the benchmark measures what the apps
 * send; the documents below are the fallback (and the ones the peers' comparison needs).
 */

const MANIFEST = new URL('../../clients/generated/persisted-documents.json', import.meta.url);

const FALLBACK = {
  Feed: `query Feed($first: Int, $after: String) {
  feed(first: $first, after: $after) {
    edges { cursor node { id content hashtags likesCount likedByViewer createdAt author { id username displayName avatarUrl } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  UserProfile: `query UserProfile($username: String!) {
  user(username: $username) {
    id username displayName university bio avatarUrl createdAt followersCount followingCount postsCount
    posts(first: 10) { nodes { id content hashtags likesCount createdAt } pageInfo { hasNextPage endCursor } }
  }
}`,
  Post: `query Post($id: ID!) {
  post(id: $id) { id content hashtags likesCount createdAt author { id username displayName avatarUrl } }
}`,
  TrendingHashtags: `query TrendingHashtags($limit: Int) { trendingHashtags(limit: $limit) { tag postsCount } }`,
  SearchPosts: `query SearchPosts($query: String!, $first: Int) {
  searchPosts(query: $query, first: $first) {
    nodes { id content likesCount createdAt author { id username displayName } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  /** Posts (posts subgraph) with their authors' profiles (users subgraph, one batched _entities fetch). */
  PostsByHashtag: `query PostsByHashtag($tag: String!, $first: Int) {
  postsByHashtag(tag: $tag, first: $first) {
    nodes { id content likesCount createdAt author { id username displayName university followersCount followingCount } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  SendMessage: `mutation SendMessage($conversationId: ID!, $body: String!, $clientMessageId: String!) {
  sendMessage(conversationId: $conversationId, body: $body, clientMessageId: $clientMessageId) { id createdAt }
}`,
  Login: `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token user { id username } }
}`,
  Register: `mutation Register($input: RegisterInput!) { register(input: $input) { token user { id username } } }`,
  UpdateProfile: `mutation UpdateProfile($input: UpdateProfileInput!) { updateProfile(input: $input) { id displayName bio university } }`,
  LikePost: `mutation LikePost($id: ID!) { likePost(id: $id) { id likesCount likedByViewer } }`,
  MessageAdded: `subscription MessageAdded($conversationId: ID) {
  messageAdded(conversationId: $conversationId) { id body createdAt sender { username } }
}`,
} as const;

export type OperationName = keyof typeof FALLBACK;

/** Where each document came from: the client manifest, or this module. */
export const operationSources: Record<string, 'client manifest' | 'bench fallback'> = {};

let manifest: Map<string, string> | undefined;

function manifestByName(): Map<string, string> {
  if (manifest !== undefined) return manifest;
  manifest = new Map();
  if (!existsSync(MANIFEST)) return manifest;
  const documents = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
  for (const document of Object.values(documents)) {
    for (const definition of parse(document).definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION && definition.name !== undefined)
        manifest.set(definition.name.value, document);
    }
  }
  return manifest;
}

/** The document of operation `name`: the shipped client's when the manifest has it, else the fallback. */
export function operation(name: OperationName): string {
  const shipped = manifestByName().get(name);
  operationSources[name] = shipped === undefined ? 'bench fallback' : 'client manifest';
  return shipped ?? FALLBACK[name];
}

/** The documents the peer comparison sends: always the fallback, so every gateway runs exactly the same text. */
export function fallbackOperation(name: OperationName): string {
  return FALLBACK[name];
}
