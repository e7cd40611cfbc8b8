import type { GraphiQLOptions } from 'graphql-yoga';
import { CSRF_PREFLIGHT_HEADERS } from './plugins/csrf-prevention.js';

/** A seeded account to try the API with (scripts/seed: `npm start` on an empty embedded database). */
export interface DemoLogin {
  readonly email: string;
  readonly password: string;
}

/** How GraphiQL runs subscriptions: graphql-ws on the same URL, or Server-Sent Events over HTTP. */
export type GraphiQLSubscriptionsProtocol = 'WS' | 'SSE';

/** The query parameter that picks the subscriptions protocol of the page: `/graphql?subscriptionsProtocol=SSE`. */
export const SUBSCRIPTIONS_PROTOCOL_PARAMETER = 'subscriptionsProtocol';

type GraphiQLTab = NonNullable<GraphiQLOptions['defaultTabs']>[number];

/** The account the Register tab creates; the Login tab signs it in when there is no demo login. */
const EXAMPLE_ACCOUNT = { email: 'ada@example.edu', password: 'correct horse battery' } as const;

/** The sign-in steps, on the first tab; lines fit GraphiQL's editor in half a laptop screen. */
const SIGN_IN_STEPS = `# To sign in: run Login (or Register), copy "token" from
# the result, open the Headers tab under the editor and enter
#   {"Authorization": "Bearer <token>"}
# Each tab has its own headers: put the token in every tab
# you run as that user. It signs queries, mutations and
# subscriptions alike, over graphql-ws or SSE.`;

/**
 * GraphiQL's tabs on first open (GraphiQL keeps the visitor's own tabs after that): one
 * runnable example per step of a first session, with the demo login in the text when the
 * platform seeded one. tests/unit/graphiql-tabs.test.ts validates each against the schema.
 */
export function graphiqlTabs(demoLogin: DemoLogin | null): GraphiQLTab[] {
  const login = demoLogin ?? EXAMPLE_ACCOUNT;
  /** A comment naming the demo login, ending in a newline; empty without one. */
  const demoNote = (signsIn: string) =>
    demoLogin === null
      ? ''
      : `#
# Demo data is loaded: ${signsIn} signs in as
#   ${demoLogin.email}
# (password ${demoLogin.password}), who follows
# people and has a feed.
`;
  return [
    {
      query: `# Welcome to ChitLaq Graph. Each tab holds one example:
# run it with the ▶ button. The docs panel (top left) lists
# every type and field.
#
${SIGN_IN_STEPS}
${demoNote('the Login tab')}#
# Register creates an account and signs it in. A second run
# answers CONFLICT: change the email and the username.
mutation Register {
  register(input: {
    email: "${EXAMPLE_ACCOUNT.email}"
    username: "ada"
    password: "${EXAMPLE_ACCOUNT.password}"
    displayName: "Ada Lovelace"
    university: "University of London"
  }) {
    token
    user { id username displayName }
  }
}
`,
    },
    {
      query: `# Signs in and answers a token: the first tab says where
# to put it.
${demoNote('this')}mutation Login {
  login(
    email: ${JSON.stringify(login.email)}
    password: ${JSON.stringify(login.password)}
  ) {
    token
    user { id username displayName }
  }
}
`,
    },
    {
      query: `# The signed-in user, or null without a token in the
# Headers tab. The ids of the people you follow are what
# StartConversation (SendMessage tab) takes.
query Me {
  me {
    id
    username
    displayName
    email
    university
    followersCount
    followingCount
    following(first: 5) {
      nodes { id username displayName online }
    }
  }
}
`,
    },
    {
      query: `# Posts by you and the people you follow, newest first.
# Needs a token in the Headers tab. For the next page, set
# "after" in the Variables tab to pageInfo.endCursor.
query Feed($after: String) {
  feed(first: 10, after: $after) {
    nodes {
      id
      content
      hashtags
      likesCount
      likedByViewer
      createdAt
      author { username displayName }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
      variables: JSON.stringify({ after: null }, null, 2),
    },
    {
      query: `# Messaging, with a token in the Headers tab (▶ asks which
# operation to run):
# 1. in the Variables tab, put the id of another user in
#    "memberIds" (Me lists the people you follow) and run
#    StartConversation; starting it again returns the same,
# 2. put its id in "conversationId" and run SendMessage.
# The same clientMessageId sends nothing new (a retry is
# safe): change it for each message. A member's MessageAdded
# subscription shows the message as it is sent.
mutation SendMessage(
  $conversationId: ID!
  $body: String!
  $clientMessageId: String!
) {
  sendMessage(
    conversationId: $conversationId
    body: $body
    clientMessageId: $clientMessageId
  ) {
    id
    body
    createdAt
    sender { username }
  }
}

mutation StartConversation($memberIds: [ID!]!) {
  startConversation(memberIds: $memberIds) {
    id
    members { username }
  }
}
`,
      variables: JSON.stringify(
        {
          memberIds: ['<id of another user>'],
          conversationId: '<id from StartConversation>',
          body: 'Hello from GraphiQL',
          clientMessageId: 'graphiql-1',
        },
        null,
        2,
      ),
    },
    {
      query: `# New messages in your conversations, live until you stop
# it (the ■ button). Needs a token in the Headers tab. In the
# Variables tab, "conversationId" keeps one conversation, and
# "after" (a message id) first replays what came after it.
subscription MessageAdded($conversationId: ID, $after: ID) {
  messageAdded(
    conversationId: $conversationId
    after: $after
  ) {
    id
    body
    createdAt
    sender { username displayName online }
    conversation { id title }
  }
}
`,
      variables: JSON.stringify({ conversationId: null, after: null }, null, 2),
    },
  ];
}

/**
 * Everything the page needs. The preflight header goes with every request GraphiQL sends: its
 * SSE subscriptions are GETs without a content-type, which the CSRF rule refuses otherwise,
 * and a page on another site cannot set it without a CORS preflight.
 */
export function graphiqlOptions(settings: {
  demoLogin: DemoLogin | null;
  subscriptionsProtocol: GraphiQLSubscriptionsProtocol;
}): GraphiQLOptions {
  return {
    title: 'ChitLaq Graph',
    defaultTabs: graphiqlTabs(settings.demoLogin),
    subscriptionsProtocol: settings.subscriptionsProtocol,
    additionalHeaders: { [CSRF_PREFLIGHT_HEADERS[0]]: 'graphiql' },
  };
}

/** `?subscriptionsProtocol=SSE` (any case) opens GraphiQL on SSE; anything else on graphql-ws. */
export function subscriptionsProtocolOf(url: URL): GraphiQLSubscriptionsProtocol {
  return url.searchParams.get(SUBSCRIPTIONS_PROTOCOL_PARAMETER)?.toUpperCase() === 'SSE' ? 'SSE' : 'WS';
}
