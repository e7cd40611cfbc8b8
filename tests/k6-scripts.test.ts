import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type K6ShimReport, type K6ShimRun, runK6Script } from './support/k6-runner/index.js';
import { usePlatform } from './support/platform.js';

/**
 * The three k6 scripts of k6/ in a short smoke through the k6 shim (tests/support/k6-runner),
 * against the real gateway with PERSISTED_OPERATIONS_ONLY on (the scripts claim they run
 * unchanged there). Each script must load (every import, option and threshold as k6 would take
 * them), run its setup and iterations without an exception, pass every check, and end without
 * GraphQL errors or rate limiting. Timing thresholds (p(95) latencies) are reported by the
 * shim but not asserted: this is not a load test and the machine is shared.
 *
 * messaging.js runs on a shim that drops the WebSocket constructor's `protocols` argument, as
 * some k6 releases do: its sessions must still get the graphql-transport-ws subprotocol (from
 * the Sec-WebSocket-Protocol header in the params). The control run that drops the header too
 * shows what the gateway does then (4406), so the smoke can fail.
 */

/** The env knobs of k6/lib/config.js for a smoke of `vus` VUs: stages sized to them, no pauses. */
const smokeEnv = (baseUrl: string, vus: number, extra: Record<string, string> = {}) => ({
  BASE_URL: baseUrl,
  STAGES: `5s:${vus}`,
  THINK_TIME: '0',
  ...extra,
});

/** A messaging session of 5 s (the script's minimum), a sender's first message after 1 s, then every 0.5 s. */
const messagingEnv = (baseUrl: string, vus: number) =>
  smokeEnv(baseUrl, vus, { SESSION_SECONDS: '5', SEND_WARMUP: '1', SEND_INTERVAL: '0.5' });

/** The runs, started together once the platform is up (each makes users of its own), awaited by the tests. */
function startRuns(baseUrl: string) {
  const runs = {
    registration: runK6Script({ script: 'k6/user_registration.js', vus: 2, iterations: 2, env: smokeEnv(baseUrl, 2) }),
    // 3 users, each following 2, 3 posts each: feeds of 9 posts, pages of 4, so Feed runs 3 times an iteration.
    feed: runK6Script({
      script: 'k6/feed_loading.js',
      vus: 2,
      iterations: 1,
      env: smokeEnv(baseUrl, 2, { FEED_USERS: '3', FEED_FOLLOWS: '2', FEED_POSTS_PER_USER: '3', FEED_PAGE_SIZE: '4' }),
    }),
    messaging: runK6Script({ script: 'k6/messaging.js', vus: 2, iterations: 1, env: messagingEnv(baseUrl, 2) }),
    messagingWithProtocols: runK6Script({
      script: 'k6/messaging.js',
      vus: 2,
      iterations: 1,
      env: messagingEnv(baseUrl, 2),
      wsProtocolsArgument: 'apply',
    }),
    messagingWithoutHeader: runK6Script({
      script: 'k6/messaging.js',
      vus: 2,
      iterations: 1,
      env: messagingEnv(baseUrl, 2),
      wsSubprotocolHeader: 'drop',
    }),
  };
  // Awaited by their tests; this only keeps a failure from being reported as unhandled before then.
  for (const run of Object.values(runs)) run.catch(() => {});
  return runs;
}

const platform = usePlatform({ PERSISTED_OPERATIONS_ONLY: 'true' });
let runs: ReturnType<typeof startRuns>;

beforeAll(async () => {
  runs = startRuns(platform.gatewayUrl);
});
afterAll(async () => {
  // The runs end on their own (--max-duration at the latest); the platform must outlive them.
  await Promise.allSettled(Object.values(runs ?? {}));
});

function threshold(report: K6ShimReport, metric: string, expression: string) {
  const found = report.thresholds.find((t) => t.metric === metric && t.expression === expression);
  if (found === undefined) throw new Error(`no threshold ${metric}: ${expression} in ${report.script}`);
  return found;
}

/**
 * Loaded, set up, every iteration through, every check passed, no GraphQL error, no failed
 * request, nothing rate limited. A failure's message carries the VUs' output.
 */
function expectCleanSmoke({ report, stderr }: K6ShimRun, iterations: number) {
  const output = `k6 shim output:\n${stderr}`;
  expect(report.runnerErrors, output).toEqual([]);
  expect(report.initErrors, output).toEqual([]);
  expect(report.loaded).toBe(true);
  expect(report.setup, output).toEqual({ ran: true, ok: true, error: null });
  expect(report.aborted, output).toBeNull();
  expect(report.iterations, output).toEqual({ completed: iterations, failed: 0, errors: [] });
  expect(report.checks.passes).toBeGreaterThan(0);
  expect(report.checks.fails, output).toBe(0);
  // k6 refuses a script whose thresholds name a metric it does not have.
  expect(report.thresholds.filter((t) => t.error !== undefined)).toEqual([]);
  expect(report.metrics.graphql_errors?.values.rate, output).toBe(0);
  expect(report.metrics.rate_limited).toBeUndefined();
  expect(report.metrics.http_req_failed?.values.rate, output).toBe(0);
  expect(threshold(report, 'graphql_errors', 'rate<0.01').ok).toBe(true);
  expect(threshold(report, 'rate_limited', 'count<1').ok).toBe(true);
  expect(threshold(report, 'http_req_failed', 'rate<0.01').ok).toBe(true);
  return report;
}

/** Requests per `operation` tag. */
const requestsByOperation = (report: K6ShimReport) =>
  Object.fromEntries(
    Object.entries(report.metrics.http_reqs?.byTag.operation ?? {}).map(([name, values]) => [name, values.count]),
  );

describe('k6 scripts through the k6 shim', () => {
  it('user_registration.js: every iteration registers, signs in and updates the profile', async () => {
    const report = expectCleanSmoke(await runs.registration, 4);
    expect(requestsByOperation(report)).toEqual({ Register: 4, Login: 4, UpdateProfile: 4 });
    expect(report.checks.byName).toEqual({
      'status is 200': { passes: 12, fails: 0 },
      'no GraphQL errors': { passes: 12, fails: 0 },
    });
  }, 90_000);

  it('feed_loading.js: setup builds the population, every iteration pages the whole feed', async () => {
    const report = expectCleanSmoke(await runs.feed, 2);
    expect(requestsByOperation(report)).toEqual({
      Register: 3,
      Follow: 6,
      CreatePost: 9,
      Login: 2,
      Feed: 6,
      Post: 2,
      LikePost: 2,
      SearchPosts: 2,
    });
  }, 90_000);

  it('messaging.js: on a k6 that drops the protocols argument, every session subscribes and messages arrive', async () => {
    const report = expectCleanSmoke(await runs.messaging, 2);
    expect(report.metrics.ws_sessions_ok?.values).toMatchObject({ rate: 1, passes: 2 });
    expect(report.metrics.ws_session_errors).toBeUndefined();
    expect(report.metrics.ws_messages_sent?.values.count).toBeGreaterThan(0);
    expect(report.metrics.ws_messages_received?.values.count).toBeGreaterThan(0);
    expect(threshold(report, 'ws_sessions_ok', 'rate>0.99').ok).toBe(true);
    expect(threshold(report, 'ws_messages_received', 'count>0').ok).toBe(true);
    // The subprotocol came from the params' header, the gateway accepted it, the script closed with 1000.
    expect(report.sockets).toHaveLength(2);
    for (const socket of report.sockets) {
      expect(socket).toMatchObject({
        protocolsArgumentSent: false,
        subprotocolHeader: 'graphql-transport-ws',
        protocol: 'graphql-transport-ws',
        opened: true,
        closeCode: 1000,
        error: null,
      });
    }
  }, 90_000);

  it('messaging.js: on a k6 that sends the protocols argument, it works too (no duplicate subprotocol)', async () => {
    const report = expectCleanSmoke(await runs.messagingWithProtocols, 2);
    expect(report.metrics.ws_sessions_ok?.values).toMatchObject({ rate: 1, passes: 2 });
    expect(report.metrics.ws_session_errors).toBeUndefined();
    expect(report.sockets.map((s) => s.protocol)).toEqual(['graphql-transport-ws', 'graphql-transport-ws']);
  }, 90_000);

  it('control: without the subprotocol header as well, the gateway closes every session with 4406', async () => {
    const run = await runs.messagingWithoutHeader;
    const { report } = run;
    expect(report.runnerErrors, run.stderr).toEqual([]);
    expect(report.iterations, run.stderr).toEqual({ completed: 2, failed: 0, errors: [] });
    expect(report.metrics.ws_session_errors?.byTag.reason).toEqual({ closed_4406: expect.objectContaining({ count: 2 }) });
    expect(report.metrics.ws_sessions_ok?.values).toMatchObject({ rate: 0, fails: 2 });
    expect(threshold(report, 'ws_sessions_ok', 'rate>0.99').ok).toBe(false);
    expect(run.exitCode).toBe(99); // thresholds failed: a real k6 run would fail the same way
    expect(report.sockets.map((s) => [s.protocol, s.closeCode])).toEqual([
      ['', 4406],
      ['', 4406],
    ]);
  }, 90_000);
});
