/**
 * The seed's load model (its k6 configuration, as k6/*.js implement it) turned into an open
 * model the Node harness can replay: for each scenario, how many users, how often a session
 * (one k6 iteration) starts, and how many requests a session makes.
 *
 * - feed_loading: 500 VUs; an iteration is Login, Feed, two more Feed pages, Post, LikePost,
 *   SearchPosts (7 requests), then THINK_TIME (1 s).
 * - user_registration: 100 VUs; Register, Login, UpdateProfile (3 requests), then 1 s.
 * - messaging: 1000 VUs holding subscriptions; every 10th sends a message every 5 s
 *   (SENDER_SHARE 0.1, SEND_INTERVAL 5): 20 SendMessage/s, already an arrival rate in k6.
 *
 * A k6 VU with think time starts its next iteration when the last one is done plus the think
 * time, so its rate depends on the server. The open model fixes it at what a server meeting
 * the seed's baseline (p50 50 ms per request) would see: users ÷ (think time + requests × 50 ms),
 * and keeps that rate whatever the server does.
 */

export type SeedScenarioName = 'feed_loading' | 'user_registration' | 'messaging';

export interface SeedScenario {
  readonly name: SeedScenarioName;
  /** Virtual users at the plateau of the seed's ramp. */
  readonly users: number;
  /** Requests of one session (k6 iteration); the feed's later pages are skipped when there are none. */
  readonly requestsPerSession: number;
  /** Seconds between two sessions of one user, besides the session itself (k6 THINK_TIME), or null for an interval-driven scenario. */
  readonly thinkSeconds: number | null;
  /** Interval-driven scenarios: the share of users that send, and the seconds between two sends of one of them. */
  readonly senders?: { readonly share: number; readonly intervalSeconds: number };
}

export const SEED_SCENARIOS: readonly SeedScenario[] = [
  { name: 'feed_loading', users: 500, requestsPerSession: 7, thinkSeconds: 1 },
  { name: 'user_registration', users: 100, requestsPerSession: 3, thinkSeconds: 1 },
  {
    name: 'messaging',
    users: 1000,
    requestsPerSession: 1,
    thinkSeconds: null,
    senders: { share: 0.1, intervalSeconds: 5 },
  },
];

/** The seed's p50 baseline per request (its `api_response_time.p50`), seconds. */
export const NOMINAL_REQUEST_SECONDS = 0.05;

/** What the harness replays for one scenario at `scale` (1: the seed's users). */
export interface OpenScenarioPlan {
  readonly name: SeedScenarioName;
  /** Users at this scale: the sessions that may be in progress at once (an arrival beyond is dropped). */
  readonly users: number;
  /** Sessions started per second. */
  readonly sessionsPerSecond: number;
  /** Requests per second offered when every session makes all its requests. */
  readonly requestsPerSecond: number;
}

export function planScenario(scenario: SeedScenario, scale: number): OpenScenarioPlan {
  const users = Math.max(1, Math.round(scenario.users * scale));
  if (scenario.senders !== undefined) {
    const senders = Math.max(1, Math.round(users * scenario.senders.share));
    const sessionsPerSecond = senders / scenario.senders.intervalSeconds;
    return { name: scenario.name, users: senders, sessionsPerSecond, requestsPerSecond: sessionsPerSecond };
  }
  const cycleSeconds = (scenario.thinkSeconds ?? 0) + scenario.requestsPerSession * NOMINAL_REQUEST_SECONDS;
  const sessionsPerSecond = users / cycleSeconds;
  return {
    name: scenario.name,
    users,
    sessionsPerSecond,
    requestsPerSecond: sessionsPerSecond * scenario.requestsPerSession,
  };
}
