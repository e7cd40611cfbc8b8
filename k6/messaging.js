/**
 * Seed scenario `messaging`: up to 1000 VUs each hold a graphql-ws subscription
 * (`MessageAdded` of its group conversation) while a share of them send messages over HTTP;
 * every receiver measures send → receive latency (Trend `ws_message_latency`). The seed's ramp:
 * 5 min up to 1000 VUs, 20 min at 1000, 5 min down.
 *
 * setup() registers one user per VU (MESSAGING_USERS) and starts group conversations of up to
 * GROUP_SIZE (50) members, so each message fans out to the whole group. A VU signs in once,
 * then loops over sessions: open the socket (subprotocol graphql-transport-ws, sent as a header), connection_init
 * with the token, subscribe after connection_ack, hold SESSION_SECONDS, complete and close.
 * Senders put Date.now() in the message body; receivers subtract it from the time the frame was
 * read. Both run in this k6 process, on one clock.
 *
 *   k6 run k6/messaging.js
 *   k6 run -e VUS_SCALE=0.05 -e TIME_SCALE=0.1 -e SESSION_SECONDS=30 k6/messaging.js   # smoke: 50 VUs, ~3 min
 *
 * k6/README.md lists the variables, the thresholds and the gateway settings a load test needs.
 */
import { sleep } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { WebSocket } from 'k6/websockets';
import { envNumber, maxTarget, SUMMARY_TREND_STATS, scenarioStages, seedThresholds, WS_URL } from './lib/config.js';
import {
  createClient,
  graphqlErrors,
  indexOperations,
  operationsFromManifest,
  rateLimited,
  requireOperations,
} from './lib/graphql.js';
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
const SETUP_OPERATIONS = ['Register', 'StartConversation'];
const OPERATIONS = ['Login', 'SendMessage'];
const SUBSCRIPTION = 'MessageAdded';
const byName = indexOperations(operations);
requireOperations(byName, SETUP_OPERATIONS.concat(OPERATIONS, [SUBSCRIPTION]));
const client = createClient(byName);

const stages = scenarioStages([
  { duration: '5m', target: 1000 },
  { duration: '20m', target: 1000 },
  { duration: '5m', target: 0 },
]);

/** Users made by setup(): one per VU by default, so no two VUs share a viewer. */
const USERS = envNumber('MESSAGING_USERS', Math.max(2, maxTarget(stages)), { min: 2, max: 100000 });
/** Members per group conversation (the messages subgraph allows 50). */
const GROUP_SIZE = envNumber('GROUP_SIZE', 50, { min: 2, max: 50 });
/** About this share of VUs send messages (all of them receive). */
const SENDER_SHARE = envNumber('SENDER_SHARE', 0.1, { min: 0, max: 1 });
/** Seconds between two messages of one sender. */
const SEND_INTERVAL = envNumber('SEND_INTERVAL', 5, { min: 0.05, max: 3600 });
/** Seconds a sender waits after connection_ack before its first message (its group's subscriptions go live meanwhile). */
const SEND_WARMUP = envNumber('SEND_WARMUP', 2, { min: 0, max: 600 });
/** Seconds a VU holds its socket before closing it and starting the next iteration. */
const SESSION_SECONDS = envNumber('SESSION_SECONDS', 180, { min: 5, max: 86400 });
/** Seconds to wait for connection_ack. */
const ACK_TIMEOUT = envNumber('ACK_TIMEOUT', 10, { min: 1, max: 600 });

/** Send → receive time of every delivery of a message of this run, ms. */
const messageLatency = new Trend('ws_message_latency', true);
/** Messages sent (SendMessage answered without errors). */
const messagesSent = new Counter('ws_messages_sent');
/** Deliveries of this run's messages to subscribers (one message reaches every member online). */
const messagesReceived = new Counter('ws_messages_received');
/** Members of the conversation of every message sent: what ws_messages_received would be with every member online. */
const deliveriesExpected = new Counter('ws_deliveries_expected');
/** Sessions that got connection_ack and held the subscription to the end without an error or close. */
const sessionsOk = new Rate('ws_sessions_ok');
/** Session failures by `reason` (close code, graphql-ws error, timeout). */
const sessionErrors = new Counter('ws_session_errors');

const extraThresholds = {
  ws_message_latency: ['p(95)<100'],
  ws_sessions_ok: ['rate>0.99'],
};
// With senders, a run where nothing arrives must fail (a Trend without samples would pass).
if (SENDER_SHARE > 0) extraThresholds.ws_messages_received = ['count>0'];

// Sessions end on their own; let them finish rather than cut them off at a ramp-down.
const GRACE = `${Math.ceil(SESSION_SECONDS + ACK_TIMEOUT + 30)}s`;

export const options = {
  scenarios: {
    messaging: { executor: 'ramping-vus', startVUs: 0, stages, gracefulRampDown: GRACE, gracefulStop: GRACE },
  },
  thresholds: seedThresholds(OPERATIONS.concat([SUBSCRIPTION]), extraThresholds),
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: __ENV.SETUP_TIMEOUT || '10m',
  // setup() sends its requests SETUP_CONCURRENCY at a time (http.batch; k6's default is 6 per host).
  batch: SETUP_CONCURRENCY,
  batchPerHost: SETUP_CONCURRENCY,
};

export function setup() {
  const runId = newRunId();
  const users = registerUsers(client, 'm', runId, USERS);
  // Group g holds users g, g + groups, g + 2·groups, …: sizes differ by at most one, each ≥ 2.
  const groups = Math.max(1, Math.min(Math.ceil(USERS / GROUP_SIZE), Math.floor(USERS / 2)));
  const calls = [];
  for (let g = 0; g < groups; g++) {
    const memberIds = [];
    for (let i = g + groups; i < USERS; i += groups) memberIds.push(users[i].id);
    calls.push({ name: 'StartConversation', variables: { memberIds, title: `k6 ${runId} group ${g}` }, token: users[g].token });
  }
  const conversations = batchOrAbort(client, calls, 'starting group conversations').map((o) => o.data.startConversation.id);
  const groupSizes = calls.map((call) => call.variables.memberIds.length + 1);
  return { runId, users: USERS, conversations, groupSizes };
}

/** This VU's token, kept across iterations (tokens live 7 days by default). */
let token = null;
/** Failed sessions in a row: the next one waits 2^n s (at most 30) instead of reconnecting at once. */
let failuresInARow = 0;
/**
 * Messages this VU sent, across iterations: clientMessageId must never repeat, since sendMessage
 * answers a repeated (sender, clientMessageId) with the first message and publishes nothing.
 */
let sequence = 0;

export default function (data) {
  const headers = useVuAddress();
  if (failuresInARow > 0) sleep(Math.min(30, 2 ** failuresInARow));

  const index = (exec.vu.idInTest - 1) % data.users;
  const groups = data.conversations.length;
  const rank = Math.floor(index / groups); // position in the group
  const period = SENDER_SHARE > 0 ? Math.max(1, Math.round(1 / SENDER_SHARE)) : 0;

  if (token === null) {
    const login = client.call('Login', { email: emailOf(username('m', data.runId, index)), password: PASSWORD });
    if (!login.ok) {
      failuresInARow += 1;
      return;
    }
    token = login.data.login.token;
  }

  holdSession({
    runId: data.runId,
    index,
    conversationId: data.conversations[index % groups],
    groupSize: data.groupSizes[index % groups],
    sender: period > 0 && rank % period === 0,
    headers,
  });
}

/**
 * One WebSocket session (graphql-transport-ws): the iteration lasts until the socket is closed
 * and every timer is cleared, which `finish` guarantees on every path.
 */
function holdSession({ runId, index, conversationId, groupSize, sender, headers }) {
  const prefix = `k6 ${runId} `;
  // The subprotocol goes in a header, not in the `protocols` argument: k6 releases whose
  // k6/websockets ignores that argument still send headers, and k6 refuses both at once
  // (gorilla/websocket: "duplicate header not allowed").
  const ws = new WebSocket(WS_URL, null, {
    headers: Object.assign({}, headers, { 'Sec-WebSocket-Protocol': 'graphql-transport-ws' }),
    tags: { name: 'graphql-ws' },
  });

  let subscribed = false;
  let subscriptionFailed = false;
  let finished = false;
  const timers = { ack: null, end: null, firstSend: null, send: null };

  const clearTimers = () => {
    if (timers.ack !== null) clearTimeout(timers.ack);
    if (timers.end !== null) clearTimeout(timers.end);
    if (timers.firstSend !== null) clearTimeout(timers.firstSend);
    if (timers.send !== null) clearInterval(timers.send);
  };

  let socketError = '';

  /**
   * Records the session once, clears the timers and closes the socket. `reason` is a short
   * category (a tag of `ws_session_errors`); `detail` only goes to the log.
   */
  const finish = (ok, reason, detail) => {
    if (finished) return;
    finished = true;
    clearTimers();
    sessionsOk.add(ok);
    if (subscribed) graphqlErrors.add(subscriptionFailed, { operation: SUBSCRIPTION });
    if (ok) failuresInARow = 0;
    else {
      failuresInARow += 1;
      sessionErrors.add(1, { reason });
      if (reason === 'closed_4403') token = null; // refused or expired token: sign in again next time
      if (failuresInARow === 1)
        console.warn(`VU ${exec.vu.idInTest}: WebSocket session failed: ${reason}${detail ? ` (${detail})` : ''}`);
    }
    if (ws.readyState === 1) ws.close(); // OPEN; when CLOSING or CLOSED there is nothing to do
  };

  const sendOne = () => {
    if (finished) return;
    sequence += 1;
    const sentAt = Date.now();
    client
      .callAsync(
        'SendMessage',
        { conversationId, body: `${prefix}${sentAt} ${index} ${sequence}`, clientMessageId: `${runId}-${index}-${sequence}` },
        token,
      )
      .then((result) => {
        if (!result.ok) return;
        messagesSent.add(1);
        deliveriesExpected.add(groupSize);
      })
      .catch((error) => console.warn(`SendMessage: ${error}`));
  };

  const onEvent = (payload, receivedAt) => {
    if (payload && Array.isArray(payload.errors) && payload.errors.length > 0) {
      subscriptionFailed = true;
      const code = payload.errors[0].extensions?.code || 'UNKNOWN';
      if (code === 'RATE_LIMITED') rateLimited.add(1, { operation: SUBSCRIPTION });
      finish(false, `subscription_error_${code}`, payload.errors[0].message);
      return;
    }
    const message = payload?.data?.messageAdded;
    if (!message || typeof message.body !== 'string' || message.body.indexOf(prefix) !== 0) return;
    const sentAt = Number(message.body.slice(prefix.length).split(' ')[0]);
    if (!Number.isFinite(sentAt)) return;
    messageLatency.add(Math.max(0, receivedAt - sentAt));
    messagesReceived.add(1);
  };

  ws.onopen = () => {
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    timers.ack = setTimeout(() => finish(false, 'no_ack', `nothing in ${ACK_TIMEOUT} s`), ACK_TIMEOUT * 1000);
  };

  ws.onmessage = (event) => {
    // The time k6 read the frame (before it waited its turn on the event loop), if this k6 has it.
    const receivedAt = typeof event.timestamp === 'number' && event.timestamp > 0 ? event.timestamp : Date.now();
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (_) {
      finish(false, 'bad_frame', String(event.data).slice(0, 100));
      return;
    }
    switch (message.type) {
      case 'connection_ack':
        clearTimeout(timers.ack);
        ws.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            // The manifest text exactly: accepted with PERSISTED_OPERATIONS_ONLY=true.
            payload: { query: client.document(SUBSCRIPTION), operationName: SUBSCRIPTION, variables: { conversationId } },
          }),
        );
        subscribed = true;
        timers.end = setTimeout(() => {
          if (ws.readyState === 1) ws.send(JSON.stringify({ id: '1', type: 'complete' }));
          finish(true);
        }, SESSION_SECONDS * 1000);
        if (sender) {
          // After the warm-up, at a random point of the interval so senders do not send in lockstep.
          timers.firstSend = setTimeout(
            () => {
              sendOne();
              timers.send = setInterval(sendOne, SEND_INTERVAL * 1000);
            },
            (SEND_WARMUP + Math.random() * SEND_INTERVAL) * 1000,
          );
        }
        break;
      case 'ping':
        ws.send(JSON.stringify({ type: 'pong' }));
        break;
      case 'pong':
        break;
      case 'next':
        onEvent(message.payload, receivedAt);
        break;
      case 'error': {
        subscriptionFailed = true;
        const first = Array.isArray(message.payload) ? message.payload[0] : null;
        const code = first?.extensions?.code || 'UNKNOWN';
        if (code === 'RATE_LIMITED') rateLimited.add(1, { operation: SUBSCRIPTION });
        finish(false, `subscription_error_${code}`, first?.message);
        break;
      }
      case 'complete':
        finish(false, 'completed_by_server');
        break;
      default:
        finish(false, 'unexpected_message', String(message.type));
    }
  };

  // k6 calls the error listeners, then the close listeners (which finish the session).
  ws.onerror = (event) => {
    socketError = event?.error ? String(event.error) : 'error';
  };

  ws.onclose = (event) => {
    const code = event?.code;
    const detail = [event?.reason, socketError].filter((part) => part).join('; ');
    // 1000 also comes from k6 itself when it stops a VU: a clean end if the subscription ran.
    if (code === 1000 || code === 1001) finish(subscribed && !subscriptionFailed, `closed_${code}`, detail);
    else finish(false, code === undefined ? 'closed' : `closed_${code}`, detail);
  };
}
