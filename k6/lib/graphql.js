/**
 * GraphQL over HTTP for the k6 scripts, with the repository's persisted operations.
 *
 * Every request names a trusted document of clients/generated/persisted-documents.json by its
 * hash (`{ "documentId": "sha256:<hex>", "operationName", "variables" }`), so the scripts run
 * unchanged against a gateway with PERSISTED_OPERATIONS_ONLY=true (gateway/README.md, "Trusted
 * documents"). The JSON content-type is what the gateway's CSRF rule asks of a non-browser
 * client; no preflight header is needed for POSTs.
 *
 * A response counts as a success only with HTTP 200, a JSON body, `data` and no `errors`: a
 * GraphQL error inside a 200 is a failure (custom Rate `graphql_errors`). RATE_LIMITED answers
 * are also counted on their own (Counter `rate_limited`). Requests, checks and metric samples
 * carry the tag `operation:<Name>`.
 */
import { check } from 'k6';
import http from 'k6/http';
import { Counter, Rate } from 'k6/metrics';
import { BASE_URL } from './config.js';

/** Share of GraphQL operations that failed: non-200, unparsable body, no data, or `errors`. */
export const graphqlErrors = new Rate('graphql_errors');
/** Operations refused with RATE_LIMITED (HTTP 429, or the code over the WebSocket). */
export const rateLimited = new Counter('rate_limited');

// The operation's definition: first in the document, or after a fragment's closing brace
// (codegen prints the fragments an operation uses before it).
const OPERATION_HEAD = /(?:^|\})\s*(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;
const HASH_PREFIX = 'sha256:';

/**
 * The manifest `{ "sha256:<hex>": "<document>" }` as `[{ name, type, hash, document }]`, the
 * operation name read from each document. Meant for a SharedArray callback in the init context.
 */
export function operationsFromManifest(text) {
  const manifest = JSON.parse(text);
  return Object.keys(manifest).map((key) => {
    const document = manifest[key];
    const head = OPERATION_HEAD.exec(document);
    if (head === null) throw new Error(`persisted-documents.json: "${key}" is not a named operation`);
    return { name: head[2], type: head[1], hash: key.startsWith(HASH_PREFIX) ? key.slice(HASH_PREFIX.length) : key, document };
  });
}

/** The operations by name; `operations` is an array or a SharedArray. */
export function indexOperations(operations) {
  const byName = {};
  for (let i = 0; i < operations.length; i++) {
    const operation = operations[i];
    byName[operation.name] = operation;
  }
  return byName;
}

/** Throws at init when a scenario needs an operation the manifest does not have. */
export function requireOperations(byName, names) {
  const missing = names.filter((name) => byName[name] === undefined);
  if (missing.length > 0) {
    throw new Error(`persisted-documents.json has no ${missing.join(', ')}: run \`npm run codegen\` or update the k6 script`);
  }
}

/** Extra request headers for every call: `X-Forwarded-For` per virtual user when FORWARDED_FOR is on. */
let extraHeaders = {};

/** Sets headers sent with every later request of this VU (see README, FORWARDED_FOR). */
export function setExtraHeaders(headers) {
  extraHeaders = headers;
}

function requestParams(name, token) {
  const headers = Object.assign({ 'content-type': 'application/json', accept: 'application/json' }, extraHeaders);
  if (token) headers.authorization = `Bearer ${token}`;
  return { headers, tags: { name, operation: name } };
}

function requestBody(operation, variables) {
  return JSON.stringify({ documentId: HASH_PREFIX + operation.hash, operationName: operation.name, variables: variables || {} });
}

/** At most this many failures are logged per VU (the metrics count them all). */
const MAX_LOGGED_FAILURES = 5;
let loggedFailures = 0;

/**
 * The outcome of one response: `{ ok, status, data, errors, codes }`, with `graphql_errors`,
 * `rate_limited` and two checks recorded under the operation's tag.
 */
export function evaluate(name, res) {
  let body = null;
  try {
    body = res.json();
  } catch (_) {
    body = null;
  }
  const errors = body !== null && Array.isArray(body.errors) ? body.errors : [];
  const data = body !== null && body.data != null ? body.data : null;
  const codes = errors.map((error) => error?.extensions?.code || 'UNKNOWN');
  const limited = res.status === 429 || codes.indexOf('RATE_LIMITED') !== -1;
  const ok = res.status === 200 && data !== null && errors.length === 0;

  const tags = { operation: name };
  check(
    res,
    { 'status is 200': () => res.status === 200, 'no GraphQL errors': () => data !== null && errors.length === 0 },
    tags,
  );
  graphqlErrors.add(!ok, tags);
  if (limited) rateLimited.add(1, tags);
  if (!ok && loggedFailures < MAX_LOGGED_FAILURES) {
    loggedFailures += 1;
    const detail =
      errors.length > 0
        ? errors.map((e) => `${e.extensions?.code || '?'}: ${e.message}`).join('; ')
        : String(res.body).slice(0, 200);
    console.warn(`${name} failed (HTTP ${res.status}): ${detail}`);
  }
  return { ok, status: res.status, data, errors, codes };
}

/**
 * A client for the persisted operations `byName` (from `indexOperations`): `call` posts one and
 * waits, `callAsync` returns a Promise (k6/http `asyncRequest`, for event-loop code such as
 * WebSocket handlers), `batch` sends several in parallel (`http.batch`, for setup()).
 */
export function createClient(byName) {
  const lookup = (name) => {
    const operation = byName[name];
    if (operation === undefined) throw new Error(`no persisted operation named ${name}`);
    return operation;
  };
  return {
    /** Posts operation `name` with `variables`, as the viewer of `token` (optional). */
    call(name, variables, token) {
      const res = http.post(BASE_URL, requestBody(lookup(name), variables), requestParams(name, token));
      return evaluate(name, res);
    },
    /** Like `call`, without blocking the VU's event loop. */
    callAsync(name, variables, token) {
      return http
        .asyncRequest('POST', BASE_URL, requestBody(lookup(name), variables), requestParams(name, token))
        .then((res) => evaluate(name, res));
    },
    /** Sends `calls` (`[{ name, variables, token }]`) in parallel; outcomes in the same order. */
    batch(calls) {
      const requests = calls.map(({ name, variables, token }) => ({
        method: 'POST',
        url: BASE_URL,
        body: requestBody(lookup(name), variables),
        params: requestParams(name, token),
      }));
      return http.batch(requests).map((res, i) => evaluate(calls[i].name, res));
    },
    /** The manifest document of `name`, character for character (graphql-ws needs the full text). */
    document(name) {
      return lookup(name).document;
    },
  };
}
