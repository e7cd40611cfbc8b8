/**
 * Seed scenario `feed_loading`: every iteration signs in, loads the feed, pages twice, opens a
 * post, likes it and searches posts (Login, Feed ×3, Post, LikePost, SearchPosts), with the
 * seed's ramp: 3 min up to 500 VUs, 10 min at 500, 3 min down.
 *
 * setup() makes its own population on any database, empty included: FEED_USERS users, each
 * following the next FEED_FOLLOWS of them and writing FEED_POSTS_PER_USER posts, so every feed
 * has (1 + FEED_FOLLOWS) × FEED_POSTS_PER_USER posts (55 by default: three pages of 20).
 *
 *   k6 run k6/feed_loading.js
 *   k6 run -e VUS_SCALE=0.05 -e TIME_SCALE=0.1 k6/feed_loading.js   # smoke: 25 VUs, ~2 min
 *
 * k6/README.md lists the variables, the thresholds and the gateway settings a load test needs.
 */
import { sleep } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import { envNumber, SUMMARY_TREND_STATS, scenarioStages, seedThresholds, THINK_TIME } from './lib/config.js';
import { createClient, indexOperations, operationsFromManifest, requireOperations } from './lib/graphql.js';
import {
  batchOrAbort,
  emailOf,
  newRunId,
  PASSWORD,
  registerUsers,
  SETUP_CONCURRENCY,
  username,
  useVuAddress,
} from './lib/population.js';

const operations = new SharedArray('persisted operations', () =>
  operationsFromManifest(open('../clients/generated/persisted-documents.json')),
);
const SETUP_OPERATIONS = ['Register', 'Follow', 'CreatePost'];
const OPERATIONS = ['Login', 'Feed', 'Post', 'LikePost', 'SearchPosts'];
const byName = indexOperations(operations);
requireOperations(byName, SETUP_OPERATIONS.concat(OPERATIONS));
const client = createClient(byName);

const USERS = envNumber('FEED_USERS', 100, { min: 2, max: 100000 });
const FOLLOWS = Math.min(envNumber('FEED_FOLLOWS', 10, { min: 0, max: 10000 }), USERS - 1);
const POSTS_PER_USER = envNumber('FEED_POSTS_PER_USER', 5, { min: 1, max: 1000 });
const PAGE_SIZE = envNumber('FEED_PAGE_SIZE', 20, { min: 1, max: 100 });

/** Words every post contains some of, and that SearchPosts looks for. */
const TOPICS = ['graphql', 'federation', 'library', 'exams', 'campus', 'robotics', 'football', 'coffee', 'hackathon', 'physics'];

const stages = scenarioStages([
  { duration: '3m', target: 500 },
  { duration: '10m', target: 500 },
  { duration: '3m', target: 0 },
]);

export const options = {
  scenarios: {
    feed_loading: { executor: 'ramping-vus', startVUs: 0, stages, gracefulRampDown: '30s' },
  },
  thresholds: seedThresholds(OPERATIONS),
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: __ENV.SETUP_TIMEOUT || '10m',
  // setup() sends its requests SETUP_CONCURRENCY at a time (http.batch; k6's default is 6 per host).
  batch: SETUP_CONCURRENCY,
  batchPerHost: SETUP_CONCURRENCY,
};

export function setup() {
  const runId = newRunId();
  const users = registerUsers(client, 'f', runId, USERS);

  const follows = [];
  for (let i = 0; i < USERS; i++) {
    for (let k = 1; k <= FOLLOWS; k++) {
      follows.push({ name: 'Follow', variables: { userId: users[(i + k) % USERS].id }, token: users[i].token });
    }
  }
  batchOrAbort(client, follows, 'following');

  const posts = [];
  for (let i = 0; i < USERS; i++) {
    for (let p = 0; p < POSTS_PER_USER; p++) {
      const topic = TOPICS[(i + p) % TOPICS.length];
      const other = TOPICS[(i * 7 + p * 3 + 1) % TOPICS.length];
      const content = `Post ${p} of ${users[i].username}: notes on ${topic} and ${other} #${topic} #k6load`;
      posts.push({ name: 'CreatePost', variables: { content }, token: users[i].token });
    }
  }
  batchOrAbort(client, posts, 'creating posts');

  return { runId, users: USERS };
}

export default function (data) {
  useVuAddress();
  const name = username('f', data.runId, (exec.vu.idInTest - 1) % data.users);

  const login = client.call('Login', { email: emailOf(name), password: PASSWORD });
  if (!login.ok) return pause();
  const token = login.data.login.token;

  // The feed, then two more pages while there are any.
  const first = client.call('Feed', { first: PAGE_SIZE }, token);
  if (!first.ok) return pause();
  const posts = first.data.feed.nodes.slice();
  let pageInfo = first.data.feed.pageInfo;
  for (let page = 0; page < 2 && pageInfo.hasNextPage; page++) {
    const next = client.call('Feed', { first: PAGE_SIZE, after: pageInfo.endCursor }, token);
    if (!next.ok) break;
    for (const node of next.data.feed.nodes) posts.push(node);
    pageInfo = next.data.feed.pageInfo;
  }

  // Open one of them and like it.
  if (posts.length > 0) {
    const post = posts[Math.floor(Math.random() * posts.length)];
    const opened = client.call('Post', { id: post.id }, token);
    if (opened.ok && opened.data.post !== null) client.call('LikePost', { id: post.id }, token);
  }

  client.call('SearchPosts', { query: TOPICS[Math.floor(Math.random() * TOPICS.length)], first: PAGE_SIZE }, token);
  pause();
}

function pause() {
  if (THINK_TIME > 0) sleep(THINK_TIME);
}
