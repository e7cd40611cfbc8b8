/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment PageCursor on PageInfo {\n  hasNextPage\n  endCursor\n}": typeof types.PageCursorFragmentDoc,
    "fragment PostCard on Post {\n  id\n  content\n  hashtags\n  createdAt\n  likesCount\n  likedByViewer\n  author {\n    ...UserSummary\n  }\n}": typeof types.PostCardFragmentDoc,
    "fragment UserSummary on User {\n  id\n  username\n  displayName\n  avatarUrl\n}": typeof types.UserSummaryFragmentDoc,
    "query Conversation($id: ID!, $first: Int, $after: String) {\n  conversation(id: $id) {\n    id\n    title\n    isGroup\n    unreadCount\n    createdAt\n    updatedAt\n    members {\n      ...UserSummary\n      online\n    }\n    messages(first: $first, after: $after) {\n      nodes {\n        id\n        body\n        clientMessageId\n        createdAt\n        sender {\n          ...UserSummary\n        }\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}": typeof types.ConversationDocument,
    "query Conversations($first: Int, $after: String) {\n  conversations(first: $first, after: $after) {\n    nodes {\n      id\n      title\n      isGroup\n      unreadCount\n      updatedAt\n      members {\n        ...UserSummary\n        online\n      }\n      lastMessage {\n        id\n        body\n        createdAt\n        sender {\n          id\n          username\n        }\n      }\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": typeof types.ConversationsDocument,
    "mutation LeaveConversation($conversationId: ID!) {\n  leaveConversation(conversationId: $conversationId)\n}": typeof types.LeaveConversationDocument,
    "mutation MarkRead($conversationId: ID!, $messageId: ID!) {\n  markRead(conversationId: $conversationId, messageId: $messageId) {\n    id\n    unreadCount\n  }\n}": typeof types.MarkReadDocument,
    "subscription MessageAdded($conversationId: ID, $after: ID) {\n  messageAdded(conversationId: $conversationId, after: $after) {\n    id\n    body\n    clientMessageId\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      ...UserSummary\n    }\n  }\n}": typeof types.MessageAddedDocument,
    "mutation SendMessage($conversationId: ID!, $body: String!, $clientMessageId: String!) {\n  sendMessage(\n    conversationId: $conversationId\n    body: $body\n    clientMessageId: $clientMessageId\n  ) {\n    id\n    body\n    clientMessageId\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      id\n      username\n    }\n  }\n}": typeof types.SendMessageDocument,
    "mutation SetTyping($conversationId: ID!, $typing: Boolean!) {\n  setTyping(conversationId: $conversationId, typing: $typing)\n}": typeof types.SetTypingDocument,
    "mutation StartConversation($memberIds: [ID!]!, $title: String) {\n  startConversation(memberIds: $memberIds, title: $title) {\n    id\n    title\n    isGroup\n    createdAt\n    members {\n      id\n      username\n      displayName\n    }\n  }\n}": typeof types.StartConversationDocument,
    "subscription Typing($conversationId: ID!) {\n  typing(conversationId: $conversationId) {\n    conversationId\n    typing\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}": typeof types.TypingDocument,
    "mutation CreatePost($content: String!) {\n  createPost(content: $content) {\n    ...PostCard\n  }\n}": typeof types.CreatePostDocument,
    "mutation DeletePost($id: ID!) {\n  deletePost(id: $id)\n}": typeof types.DeletePostDocument,
    "query Feed($first: Int, $after: String) {\n  feed(first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": typeof types.FeedDocument,
    "mutation LikePost($id: ID!) {\n  likePost(id: $id) {\n    id\n    likesCount\n    likedByViewer\n  }\n}": typeof types.LikePostDocument,
    "query Post($id: ID!) {\n  post(id: $id) {\n    ...PostCard\n  }\n}": typeof types.PostDocument,
    "query PostsByHashtag($tag: String!, $first: Int, $after: String) {\n  postsByHashtag(tag: $tag, first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": typeof types.PostsByHashtagDocument,
    "query SearchPosts($query: String!, $first: Int, $after: String) {\n  searchPosts(query: $query, first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": typeof types.SearchPostsDocument,
    "query TrendingHashtags($limit: Int) {\n  trendingHashtags(limit: $limit) {\n    tag\n    postsCount\n  }\n}": typeof types.TrendingHashtagsDocument,
    "mutation UnlikePost($id: ID!) {\n  unlikePost(id: $id) {\n    id\n    likesCount\n    likedByViewer\n  }\n}": typeof types.UnlikePostDocument,
    "mutation Follow($userId: ID!) {\n  follow(userId: $userId) {\n    id\n    followersCount\n    isFollowedByViewer\n  }\n}": typeof types.FollowDocument,
    "query Followers($userId: ID!, $first: Int, $after: String) {\n  user(id: $userId) {\n    id\n    followers(first: $first, after: $after) {\n      nodes {\n        ...UserSummary\n        isFollowedByViewer\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}": typeof types.FollowersDocument,
    "query Following($userId: ID!, $first: Int, $after: String) {\n  user(id: $userId) {\n    id\n    following(first: $first, after: $after) {\n      nodes {\n        ...UserSummary\n        isFollowedByViewer\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}": typeof types.FollowingDocument,
    "mutation Login($email: String!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    user {\n      ...UserSummary\n    }\n  }\n}": typeof types.LoginDocument,
    "query Me {\n  me {\n    id\n    username\n    displayName\n    email\n    university\n    bio\n    avatarUrl\n    createdAt\n    followersCount\n    followingCount\n    postsCount\n  }\n}": typeof types.MeDocument,
    "query OnlineUsers($first: Int) {\n  onlineUsers(first: $first) {\n    id\n    username\n    displayName\n    avatarUrl\n    online\n  }\n}": typeof types.OnlineUsersDocument,
    "mutation Register($input: RegisterInput!) {\n  register(input: $input) {\n    token\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}": typeof types.RegisterDocument,
    "query SearchUsers($query: String!, $university: String, $first: Int, $after: String) {\n  searchUsers(\n    query: $query\n    university: $university\n    first: $first\n    after: $after\n  ) {\n    nodes {\n      id\n      username\n      displayName\n      university\n      avatarUrl\n      followersCount\n      isFollowedByViewer\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": typeof types.SearchUsersDocument,
    "mutation Unfollow($userId: ID!) {\n  unfollow(userId: $userId) {\n    id\n    followersCount\n    isFollowedByViewer\n  }\n}": typeof types.UnfollowDocument,
    "mutation UpdateProfile($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    id\n    displayName\n    university\n    bio\n    avatarUrl\n  }\n}": typeof types.UpdateProfileDocument,
    "query UserProfile($id: ID, $username: String, $postsFirst: Int = 10) {\n  user(id: $id, username: $username) {\n    id\n    username\n    displayName\n    university\n    bio\n    avatarUrl\n    createdAt\n    online\n    followersCount\n    followingCount\n    isFollowedByViewer\n    postsCount\n    posts(first: $postsFirst) {\n      nodes {\n        id\n        content\n        hashtags\n        likesCount\n        likedByViewer\n        createdAt\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}": typeof types.UserProfileDocument,
};
const documents: Documents = {
    "fragment PageCursor on PageInfo {\n  hasNextPage\n  endCursor\n}": types.PageCursorFragmentDoc,
    "fragment PostCard on Post {\n  id\n  content\n  hashtags\n  createdAt\n  likesCount\n  likedByViewer\n  author {\n    ...UserSummary\n  }\n}": types.PostCardFragmentDoc,
    "fragment UserSummary on User {\n  id\n  username\n  displayName\n  avatarUrl\n}": types.UserSummaryFragmentDoc,
    "query Conversation($id: ID!, $first: Int, $after: String) {\n  conversation(id: $id) {\n    id\n    title\n    isGroup\n    unreadCount\n    createdAt\n    updatedAt\n    members {\n      ...UserSummary\n      online\n    }\n    messages(first: $first, after: $after) {\n      nodes {\n        id\n        body\n        clientMessageId\n        createdAt\n        sender {\n          ...UserSummary\n        }\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}": types.ConversationDocument,
    "query Conversations($first: Int, $after: String) {\n  conversations(first: $first, after: $after) {\n    nodes {\n      id\n      title\n      isGroup\n      unreadCount\n      updatedAt\n      members {\n        ...UserSummary\n        online\n      }\n      lastMessage {\n        id\n        body\n        createdAt\n        sender {\n          id\n          username\n        }\n      }\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": types.ConversationsDocument,
    "mutation LeaveConversation($conversationId: ID!) {\n  leaveConversation(conversationId: $conversationId)\n}": types.LeaveConversationDocument,
    "mutation MarkRead($conversationId: ID!, $messageId: ID!) {\n  markRead(conversationId: $conversationId, messageId: $messageId) {\n    id\n    unreadCount\n  }\n}": types.MarkReadDocument,
    "subscription MessageAdded($conversationId: ID, $after: ID) {\n  messageAdded(conversationId: $conversationId, after: $after) {\n    id\n    body\n    clientMessageId\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      ...UserSummary\n    }\n  }\n}": types.MessageAddedDocument,
    "mutation SendMessage($conversationId: ID!, $body: String!, $clientMessageId: String!) {\n  sendMessage(\n    conversationId: $conversationId\n    body: $body\n    clientMessageId: $clientMessageId\n  ) {\n    id\n    body\n    clientMessageId\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      id\n      username\n    }\n  }\n}": types.SendMessageDocument,
    "mutation SetTyping($conversationId: ID!, $typing: Boolean!) {\n  setTyping(conversationId: $conversationId, typing: $typing)\n}": types.SetTypingDocument,
    "mutation StartConversation($memberIds: [ID!]!, $title: String) {\n  startConversation(memberIds: $memberIds, title: $title) {\n    id\n    title\n    isGroup\n    createdAt\n    members {\n      id\n      username\n      displayName\n    }\n  }\n}": types.StartConversationDocument,
    "subscription Typing($conversationId: ID!) {\n  typing(conversationId: $conversationId) {\n    conversationId\n    typing\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}": types.TypingDocument,
    "mutation CreatePost($content: String!) {\n  createPost(content: $content) {\n    ...PostCard\n  }\n}": types.CreatePostDocument,
    "mutation DeletePost($id: ID!) {\n  deletePost(id: $id)\n}": types.DeletePostDocument,
    "query Feed($first: Int, $after: String) {\n  feed(first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": types.FeedDocument,
    "mutation LikePost($id: ID!) {\n  likePost(id: $id) {\n    id\n    likesCount\n    likedByViewer\n  }\n}": types.LikePostDocument,
    "query Post($id: ID!) {\n  post(id: $id) {\n    ...PostCard\n  }\n}": types.PostDocument,
    "query PostsByHashtag($tag: String!, $first: Int, $after: String) {\n  postsByHashtag(tag: $tag, first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": types.PostsByHashtagDocument,
    "query SearchPosts($query: String!, $first: Int, $after: String) {\n  searchPosts(query: $query, first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": types.SearchPostsDocument,
    "query TrendingHashtags($limit: Int) {\n  trendingHashtags(limit: $limit) {\n    tag\n    postsCount\n  }\n}": types.TrendingHashtagsDocument,
    "mutation UnlikePost($id: ID!) {\n  unlikePost(id: $id) {\n    id\n    likesCount\n    likedByViewer\n  }\n}": types.UnlikePostDocument,
    "mutation Follow($userId: ID!) {\n  follow(userId: $userId) {\n    id\n    followersCount\n    isFollowedByViewer\n  }\n}": types.FollowDocument,
    "query Followers($userId: ID!, $first: Int, $after: String) {\n  user(id: $userId) {\n    id\n    followers(first: $first, after: $after) {\n      nodes {\n        ...UserSummary\n        isFollowedByViewer\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}": types.FollowersDocument,
    "query Following($userId: ID!, $first: Int, $after: String) {\n  user(id: $userId) {\n    id\n    following(first: $first, after: $after) {\n      nodes {\n        ...UserSummary\n        isFollowedByViewer\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}": types.FollowingDocument,
    "mutation Login($email: String!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    user {\n      ...UserSummary\n    }\n  }\n}": types.LoginDocument,
    "query Me {\n  me {\n    id\n    username\n    displayName\n    email\n    university\n    bio\n    avatarUrl\n    createdAt\n    followersCount\n    followingCount\n    postsCount\n  }\n}": types.MeDocument,
    "query OnlineUsers($first: Int) {\n  onlineUsers(first: $first) {\n    id\n    username\n    displayName\n    avatarUrl\n    online\n  }\n}": types.OnlineUsersDocument,
    "mutation Register($input: RegisterInput!) {\n  register(input: $input) {\n    token\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}": types.RegisterDocument,
    "query SearchUsers($query: String!, $university: String, $first: Int, $after: String) {\n  searchUsers(\n    query: $query\n    university: $university\n    first: $first\n    after: $after\n  ) {\n    nodes {\n      id\n      username\n      displayName\n      university\n      avatarUrl\n      followersCount\n      isFollowedByViewer\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}": types.SearchUsersDocument,
    "mutation Unfollow($userId: ID!) {\n  unfollow(userId: $userId) {\n    id\n    followersCount\n    isFollowedByViewer\n  }\n}": types.UnfollowDocument,
    "mutation UpdateProfile($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    id\n    displayName\n    university\n    bio\n    avatarUrl\n  }\n}": types.UpdateProfileDocument,
    "query UserProfile($id: ID, $username: String, $postsFirst: Int = 10) {\n  user(id: $id, username: $username) {\n    id\n    username\n    displayName\n    university\n    bio\n    avatarUrl\n    createdAt\n    online\n    followersCount\n    followingCount\n    isFollowedByViewer\n    postsCount\n    posts(first: $postsFirst) {\n      nodes {\n        id\n        content\n        hashtags\n        likesCount\n        likedByViewer\n        createdAt\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}": types.UserProfileDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment PageCursor on PageInfo {\n  hasNextPage\n  endCursor\n}"): (typeof documents)["fragment PageCursor on PageInfo {\n  hasNextPage\n  endCursor\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment PostCard on Post {\n  id\n  content\n  hashtags\n  createdAt\n  likesCount\n  likedByViewer\n  author {\n    ...UserSummary\n  }\n}"): (typeof documents)["fragment PostCard on Post {\n  id\n  content\n  hashtags\n  createdAt\n  likesCount\n  likedByViewer\n  author {\n    ...UserSummary\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment UserSummary on User {\n  id\n  username\n  displayName\n  avatarUrl\n}"): (typeof documents)["fragment UserSummary on User {\n  id\n  username\n  displayName\n  avatarUrl\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Conversation($id: ID!, $first: Int, $after: String) {\n  conversation(id: $id) {\n    id\n    title\n    isGroup\n    unreadCount\n    createdAt\n    updatedAt\n    members {\n      ...UserSummary\n      online\n    }\n    messages(first: $first, after: $after) {\n      nodes {\n        id\n        body\n        clientMessageId\n        createdAt\n        sender {\n          ...UserSummary\n        }\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}"): (typeof documents)["query Conversation($id: ID!, $first: Int, $after: String) {\n  conversation(id: $id) {\n    id\n    title\n    isGroup\n    unreadCount\n    createdAt\n    updatedAt\n    members {\n      ...UserSummary\n      online\n    }\n    messages(first: $first, after: $after) {\n      nodes {\n        id\n        body\n        clientMessageId\n        createdAt\n        sender {\n          ...UserSummary\n        }\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Conversations($first: Int, $after: String) {\n  conversations(first: $first, after: $after) {\n    nodes {\n      id\n      title\n      isGroup\n      unreadCount\n      updatedAt\n      members {\n        ...UserSummary\n        online\n      }\n      lastMessage {\n        id\n        body\n        createdAt\n        sender {\n          id\n          username\n        }\n      }\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"): (typeof documents)["query Conversations($first: Int, $after: String) {\n  conversations(first: $first, after: $after) {\n    nodes {\n      id\n      title\n      isGroup\n      unreadCount\n      updatedAt\n      members {\n        ...UserSummary\n        online\n      }\n      lastMessage {\n        id\n        body\n        createdAt\n        sender {\n          id\n          username\n        }\n      }\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LeaveConversation($conversationId: ID!) {\n  leaveConversation(conversationId: $conversationId)\n}"): (typeof documents)["mutation LeaveConversation($conversationId: ID!) {\n  leaveConversation(conversationId: $conversationId)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation MarkRead($conversationId: ID!, $messageId: ID!) {\n  markRead(conversationId: $conversationId, messageId: $messageId) {\n    id\n    unreadCount\n  }\n}"): (typeof documents)["mutation MarkRead($conversationId: ID!, $messageId: ID!) {\n  markRead(conversationId: $conversationId, messageId: $messageId) {\n    id\n    unreadCount\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription MessageAdded($conversationId: ID, $after: ID) {\n  messageAdded(conversationId: $conversationId, after: $after) {\n    id\n    body\n    clientMessageId\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      ...UserSummary\n    }\n  }\n}"): (typeof documents)["subscription MessageAdded($conversationId: ID, $after: ID) {\n  messageAdded(conversationId: $conversationId, after: $after) {\n    id\n    body\n    clientMessageId\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      ...UserSummary\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SendMessage($conversationId: ID!, $body: String!, $clientMessageId: String!) {\n  sendMessage(\n    conversationId: $conversationId\n    body: $body\n    clientMessageId: $clientMessageId\n  ) {\n    id\n    body\n    clientMessageId\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      id\n      username\n    }\n  }\n}"): (typeof documents)["mutation SendMessage($conversationId: ID!, $body: String!, $clientMessageId: String!) {\n  sendMessage(\n    conversationId: $conversationId\n    body: $body\n    clientMessageId: $clientMessageId\n  ) {\n    id\n    body\n    clientMessageId\n    createdAt\n    conversation {\n      id\n    }\n    sender {\n      id\n      username\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetTyping($conversationId: ID!, $typing: Boolean!) {\n  setTyping(conversationId: $conversationId, typing: $typing)\n}"): (typeof documents)["mutation SetTyping($conversationId: ID!, $typing: Boolean!) {\n  setTyping(conversationId: $conversationId, typing: $typing)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartConversation($memberIds: [ID!]!, $title: String) {\n  startConversation(memberIds: $memberIds, title: $title) {\n    id\n    title\n    isGroup\n    createdAt\n    members {\n      id\n      username\n      displayName\n    }\n  }\n}"): (typeof documents)["mutation StartConversation($memberIds: [ID!]!, $title: String) {\n  startConversation(memberIds: $memberIds, title: $title) {\n    id\n    title\n    isGroup\n    createdAt\n    members {\n      id\n      username\n      displayName\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription Typing($conversationId: ID!) {\n  typing(conversationId: $conversationId) {\n    conversationId\n    typing\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}"): (typeof documents)["subscription Typing($conversationId: ID!) {\n  typing(conversationId: $conversationId) {\n    conversationId\n    typing\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreatePost($content: String!) {\n  createPost(content: $content) {\n    ...PostCard\n  }\n}"): (typeof documents)["mutation CreatePost($content: String!) {\n  createPost(content: $content) {\n    ...PostCard\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeletePost($id: ID!) {\n  deletePost(id: $id)\n}"): (typeof documents)["mutation DeletePost($id: ID!) {\n  deletePost(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Feed($first: Int, $after: String) {\n  feed(first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"): (typeof documents)["query Feed($first: Int, $after: String) {\n  feed(first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LikePost($id: ID!) {\n  likePost(id: $id) {\n    id\n    likesCount\n    likedByViewer\n  }\n}"): (typeof documents)["mutation LikePost($id: ID!) {\n  likePost(id: $id) {\n    id\n    likesCount\n    likedByViewer\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Post($id: ID!) {\n  post(id: $id) {\n    ...PostCard\n  }\n}"): (typeof documents)["query Post($id: ID!) {\n  post(id: $id) {\n    ...PostCard\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PostsByHashtag($tag: String!, $first: Int, $after: String) {\n  postsByHashtag(tag: $tag, first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"): (typeof documents)["query PostsByHashtag($tag: String!, $first: Int, $after: String) {\n  postsByHashtag(tag: $tag, first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SearchPosts($query: String!, $first: Int, $after: String) {\n  searchPosts(query: $query, first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"): (typeof documents)["query SearchPosts($query: String!, $first: Int, $after: String) {\n  searchPosts(query: $query, first: $first, after: $after) {\n    nodes {\n      ...PostCard\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query TrendingHashtags($limit: Int) {\n  trendingHashtags(limit: $limit) {\n    tag\n    postsCount\n  }\n}"): (typeof documents)["query TrendingHashtags($limit: Int) {\n  trendingHashtags(limit: $limit) {\n    tag\n    postsCount\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UnlikePost($id: ID!) {\n  unlikePost(id: $id) {\n    id\n    likesCount\n    likedByViewer\n  }\n}"): (typeof documents)["mutation UnlikePost($id: ID!) {\n  unlikePost(id: $id) {\n    id\n    likesCount\n    likedByViewer\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Follow($userId: ID!) {\n  follow(userId: $userId) {\n    id\n    followersCount\n    isFollowedByViewer\n  }\n}"): (typeof documents)["mutation Follow($userId: ID!) {\n  follow(userId: $userId) {\n    id\n    followersCount\n    isFollowedByViewer\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Followers($userId: ID!, $first: Int, $after: String) {\n  user(id: $userId) {\n    id\n    followers(first: $first, after: $after) {\n      nodes {\n        ...UserSummary\n        isFollowedByViewer\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}"): (typeof documents)["query Followers($userId: ID!, $first: Int, $after: String) {\n  user(id: $userId) {\n    id\n    followers(first: $first, after: $after) {\n      nodes {\n        ...UserSummary\n        isFollowedByViewer\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Following($userId: ID!, $first: Int, $after: String) {\n  user(id: $userId) {\n    id\n    following(first: $first, after: $after) {\n      nodes {\n        ...UserSummary\n        isFollowedByViewer\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}"): (typeof documents)["query Following($userId: ID!, $first: Int, $after: String) {\n  user(id: $userId) {\n    id\n    following(first: $first, after: $after) {\n      nodes {\n        ...UserSummary\n        isFollowedByViewer\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Login($email: String!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    user {\n      ...UserSummary\n    }\n  }\n}"): (typeof documents)["mutation Login($email: String!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    user {\n      ...UserSummary\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    username\n    displayName\n    email\n    university\n    bio\n    avatarUrl\n    createdAt\n    followersCount\n    followingCount\n    postsCount\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    username\n    displayName\n    email\n    university\n    bio\n    avatarUrl\n    createdAt\n    followersCount\n    followingCount\n    postsCount\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query OnlineUsers($first: Int) {\n  onlineUsers(first: $first) {\n    id\n    username\n    displayName\n    avatarUrl\n    online\n  }\n}"): (typeof documents)["query OnlineUsers($first: Int) {\n  onlineUsers(first: $first) {\n    id\n    username\n    displayName\n    avatarUrl\n    online\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Register($input: RegisterInput!) {\n  register(input: $input) {\n    token\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}"): (typeof documents)["mutation Register($input: RegisterInput!) {\n  register(input: $input) {\n    token\n    user {\n      id\n      username\n      displayName\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SearchUsers($query: String!, $university: String, $first: Int, $after: String) {\n  searchUsers(\n    query: $query\n    university: $university\n    first: $first\n    after: $after\n  ) {\n    nodes {\n      id\n      username\n      displayName\n      university\n      avatarUrl\n      followersCount\n      isFollowedByViewer\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"): (typeof documents)["query SearchUsers($query: String!, $university: String, $first: Int, $after: String) {\n  searchUsers(\n    query: $query\n    university: $university\n    first: $first\n    after: $after\n  ) {\n    nodes {\n      id\n      username\n      displayName\n      university\n      avatarUrl\n      followersCount\n      isFollowedByViewer\n    }\n    pageInfo {\n      ...PageCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Unfollow($userId: ID!) {\n  unfollow(userId: $userId) {\n    id\n    followersCount\n    isFollowedByViewer\n  }\n}"): (typeof documents)["mutation Unfollow($userId: ID!) {\n  unfollow(userId: $userId) {\n    id\n    followersCount\n    isFollowedByViewer\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateProfile($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    id\n    displayName\n    university\n    bio\n    avatarUrl\n  }\n}"): (typeof documents)["mutation UpdateProfile($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    id\n    displayName\n    university\n    bio\n    avatarUrl\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query UserProfile($id: ID, $username: String, $postsFirst: Int = 10) {\n  user(id: $id, username: $username) {\n    id\n    username\n    displayName\n    university\n    bio\n    avatarUrl\n    createdAt\n    online\n    followersCount\n    followingCount\n    isFollowedByViewer\n    postsCount\n    posts(first: $postsFirst) {\n      nodes {\n        id\n        content\n        hashtags\n        likesCount\n        likedByViewer\n        createdAt\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}"): (typeof documents)["query UserProfile($id: ID, $username: String, $postsFirst: Int = 10) {\n  user(id: $id, username: $username) {\n    id\n    username\n    displayName\n    university\n    bio\n    avatarUrl\n    createdAt\n    online\n    followersCount\n    followingCount\n    isFollowedByViewer\n    postsCount\n    posts(first: $postsFirst) {\n      nodes {\n        id\n        content\n        hashtags\n        likesCount\n        likedByViewer\n        createdAt\n      }\n      pageInfo {\n        ...PageCursor\n      }\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;