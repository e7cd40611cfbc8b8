/**
 * Test users for the k6 scripts, made in setup() so a run works against an empty database.
 *
 * Every user of a run is derived from the run id and an index (`f<run>_<i>`, email
 * `<username>@k6.example.edu`, one password), so setup() hands the virtual users only the run id
 * and the count: no token list is copied into each of up to 1000 VUs.
 */
import exec from 'k6/execution';
import { envBool, envNumber } from './config.js';
import { setExtraHeaders } from './graphql.js';

/** The password of every user the scripts create. */
export const PASSWORD = 'k6-load-test-password';

/** Requests sent in parallel by setup() (`-e SETUP_CONCURRENCY=…`). */
export const SETUP_CONCURRENCY = envNumber('SETUP_CONCURRENCY', 20, { min: 1, max: 500 });

/** A fresh id per run (base 36 time plus a random suffix): usernames never collide across runs. */
export function newRunId() {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 2)
    .toString(36)
    .padStart(2, '0')}`;
}

/** The username of user `index` of a run; `kind` is one letter. At most 30 characters of [a-z0-9_]. */
export function username(kind, runId, index) {
  return `${kind}${runId}_${index.toString(36)}`;
}

/** The email of a username (the users subgraph requires a valid address). */
export function emailOf(name) {
  return `${name}@k6.example.edu`;
}

/** The RegisterInput of user `name`. */
export function registerInput(name) {
  return {
    email: emailOf(name),
    username: name,
    password: PASSWORD,
    displayName: `k6 ${name}`,
    university: 'k6 State University',
  };
}

/** Splits `items` into arrays of at most `size`. */
export function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Sends `calls` (`[{ name, variables, token }]`) through `client.batch`, SETUP_CONCURRENCY at a
 * time, and returns the outcomes in order. Aborts the test at the first failure: load figures on
 * top of a half-made population would mean nothing.
 */
export function batchOrAbort(client, calls, what) {
  const outcomes = [];
  for (const part of chunks(calls, SETUP_CONCURRENCY)) {
    const results = client.batch(part);
    for (let i = 0; i < results.length; i++) {
      if (!results[i].ok) {
        const reason = results[i].errors.length > 0 ? results[i].errors[0].message : `HTTP ${results[i].status}`;
        exec.test.abort(`setup: ${what} failed (${part[i].name}): ${reason}. See k6/README.md, "Starting the platform".`);
      }
      outcomes.push(results[i]);
    }
  }
  return outcomes;
}

/**
 * Registers users `0 … count-1` of `kind` for this run; returns `[{ id, token, username }]`.
 */
export function registerUsers(client, kind, runId, count) {
  const calls = [];
  for (let i = 0; i < count; i++) calls.push({ name: 'Register', variables: { input: registerInput(username(kind, runId, i)) } });
  return batchOrAbort(client, calls, `registering ${count} users`).map((outcome) => ({
    id: outcome.data.register.user.id,
    token: outcome.data.register.token,
    username: outcome.data.register.user.username,
  }));
}

/**
 * With `-e FORWARDED_FOR=true`, each VU sends `X-Forwarded-For: 10.x.y.z` of its own, so a
 * gateway started with TRUST_PROXY=true applies its per-IP limits per virtual user, as it would
 * per client behind a real proxy. Call once per VU (the scripts do it in their default function).
 */
export function useVuAddress() {
  if (!envBool('FORWARDED_FOR', false)) return {};
  const id = exec.vu.idInTest;
  const headers = { 'x-forwarded-for': `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}` };
  setExtraHeaders(headers);
  return headers;
}
