/**
 * Seed scenario `user_registration`: every iteration signs up a new user, signs in and edits
 * the profile (Register, Login, UpdateProfile), with the seed's ramp: 2 min up to 100 VUs,
 * 5 min at 100, 2 min down.
 *
 *   k6 run k6/user_registration.js
 *   k6 run -e VUS_SCALE=0.1 -e TIME_SCALE=0.1 k6/user_registration.js   # smoke: 10 VUs, ~1 min
 *
 * k6/README.md lists the variables, the thresholds and the gateway settings a load test needs.
 */
import { sleep } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import { SUMMARY_TREND_STATS, scenarioStages, seedThresholds, THINK_TIME } from './lib/config.js';
import { createClient, indexOperations, operationsFromManifest, requireOperations } from './lib/graphql.js';
import { emailOf, newRunId, PASSWORD, registerInput, useVuAddress } from './lib/population.js';

// open() is called here, in the entry script, so the path is relative to k6/ whatever k6's rule.
const operations = new SharedArray('persisted operations', () =>
  operationsFromManifest(open('../clients/generated/persisted-documents.json')),
);
const OPERATIONS = ['Register', 'Login', 'UpdateProfile'];
const byName = indexOperations(operations);
requireOperations(byName, OPERATIONS);
const client = createClient(byName);

const stages = scenarioStages([
  { duration: '2m', target: 100 },
  { duration: '5m', target: 100 },
  { duration: '2m', target: 0 },
]);

export const options = {
  scenarios: {
    user_registration: { executor: 'ramping-vus', startVUs: 0, stages, gracefulRampDown: '30s' },
  },
  thresholds: seedThresholds(OPERATIONS),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function setup() {
  return { runId: newRunId() };
}

export default function (data) {
  useVuAddress();
  // Unique per run, VU and iteration: r<run>_<vu>_<iteration>, within the 30 characters allowed.
  const name = `r${data.runId}_${exec.vu.idInTest.toString(36)}_${exec.vu.iterationInInstance.toString(36)}`;

  const registered = client.call('Register', { input: registerInput(name) });
  if (!registered.ok) return pause();

  const loggedIn = client.call('Login', { email: emailOf(name), password: PASSWORD });
  if (!loggedIn.ok) return pause();

  client.call(
    'UpdateProfile',
    {
      input: {
        displayName: `k6 user ${exec.vu.idInTest}`,
        bio: `Load-test account of run ${data.runId}.`,
        university: 'k6 State University',
      },
    },
    loggedIn.data.login.token,
  );
  pause();
}

function pause() {
  if (THINK_TIME > 0) sleep(THINK_TIME);
}
