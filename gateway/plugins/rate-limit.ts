import type { IncomingMessage } from 'node:http';
import { isAsyncIterable, type Plugin } from '@envelop/core';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  Kind,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ServiceMetrics } from '../../lib/infra/metrics.js';
import type { Config } from '../../lib/kernel/config.js';
import { RateLimitedError } from '../../lib/kernel/errors.js';
import type { Logger } from '../../lib/kernel/logger.js';
import type { GatewayContext } from '../context.js';
import { lagTolerantTimeout } from '../lag-tolerant-timeout.js';
import { LeasedRateLimiter, type PointConsumer } from '../rate-limit-leases.js';

/**
 * Rate limits at the gateway, one envelop plugin for every transport: HTTP requests (each
 * operation of a batch) and graphql-ws subscribe messages both reach `execute`/`subscribe`
 * through Yoga's envelop pipeline.
 *
 * - every operation: `RATE_LIMIT_PER_MINUTE` per viewer (JWT subject), or per client IP when
 *   anonymous;
 * - every `login` field call: `LOGIN_ATTEMPTS_PER_15_MIN` per email and client IP (aliases
 *   make one operation many attempts, so fields are counted, not operations); a successful
 *   login resets its counter;
 * - every `register` field call: `REGISTER_ATTEMPTS_PER_HOUR` per client IP.
 *
 * Counters live in Redis when REDIS_URL is set (shared by every gateway instance), in memory
 * otherwise. Operation points are taken from Redis in leases of a twentieth of the limit
 * (rate-limit-leases.ts), so most operations cost no Redis round trip; one instance stays
 * exact under concurrency, several may refuse a client a few leases early, never late.
 * A Redis failure lets the request through (logged): a limiter must never take the API down
 * with it.
 */

export interface RateLimiters {
  /** In Redis, handed out in leases (rate-limit-leases.ts): most operations cost no round trip. */
  readonly operations: PointConsumer;
  readonly logins: RateLimiterAbstract;
  readonly registrations: RateLimiterAbstract;
  /**
   * Settles when the first connection to Redis is made or has failed. Checks wait for it
   * (within their timeout): a check before it would fail as "not ready" and let the
   * operation through uncounted, as every one did in the first moments after a start.
   */
  readonly firstConnection: Promise<void>;
  close(): Promise<void>;
}

/** A limiter check gives up after this long rather than hold a request (gateway/lag-tolerant-timeout.ts). */
const REDIS_COMMAND_TIMEOUT_MS = 300;
/** At most one "limiter unavailable" log line per this interval. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/**
 * `namespace` prefixes the Redis keys (CACHE_NAMESPACE): the gateways of one deployment share
 * each budget, deployments (or test runs) sharing one Redis do not.
 */
export function createRateLimiters(
  limits: Config['rateLimit'],
  redisUrl: string | undefined,
  logger: Logger,
  namespace = 'chitlaq',
): RateLimiters {
  const windows = [
    { name: 'operations', points: limits.perMinute, duration: 60 },
    { name: 'logins', points: limits.loginAttemptsPer15Min, duration: 15 * 60 },
    { name: 'registrations', points: limits.registerAttemptsPerHour, duration: 60 * 60 },
  ] as const;
  if (redisUrl === undefined) {
    const [operations, logins, registrations] = windows.map(
      ({ name, points, duration }) => new RateLimiterMemory({ keyPrefix: `${namespace}:rl:${name}`, points, duration }),
    ) as [RateLimiterMemory, RateLimiterMemory, RateLimiterMemory];
    return { operations, logins, registrations, firstConnection: Promise.resolve(), close: async () => undefined };
  }
  // A client of its own: no offline queue and a short timeout, so a slow or absent Redis
  // fails the check at once (and the request goes through) instead of queueing it.
  // No commandTimeout: the plugin bounds each check with lagTolerantTimeout instead, which a
  // busy event loop does not trip. Auto-pipelining: the checks of one event-loop turn go out in
  // one write, as the response cache's lookups do.
  const redis = new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    enableAutoPipelining: true,
  });
  const firstConnection = new Promise<void>((resolve) => {
    for (const event of ['ready', 'error', 'close', 'end']) redis.once(event, () => resolve());
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    if (error.message !== lastError) logger.warn({ err: error }, 'rate limiter: Redis connection error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
  const [operations, logins, registrations] = windows.map(
    ({ name, points, duration }) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${namespace}:rl:${name}`,
        points,
        duration,
        rejectIfRedisNotReady: true,
      }),
  ) as [RateLimiterRedis, RateLimiterRedis, RateLimiterRedis];
  return {
    operations: new LeasedRateLimiter(operations, LeasedRateLimiter.leaseSizeFor(limits.perMinute)),
    logins,
    registrations,
    firstConnection,
    async close() {
      redis.disconnect();
    },
  };
}

/**
 * The client's IP: the socket's peer address, or with `trustProxy` the last address of
 * X-Forwarded-For (the one the proxy in front appended; earlier ones are whatever the client
 * sent). Over HTTP `req` is Node's request (Yoga's server context); over a WebSocket the
 * gateway passes the upgrade request in the initial context.
 */
export function clientIp(context: unknown, trustProxy: boolean): string {
  const req = (context as { req?: IncomingMessage } | null)?.req;
  if (trustProxy) {
    const header = req?.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const last = forwarded.at(-1);
    if (last !== undefined) return last;
  }
  return req?.socket?.remoteAddress ?? 'unknown';
}

/** A `login` or `register` field of the operation: its response key and (login) the email. */
interface AuthAttempt {
  readonly field: 'login' | 'register';
  readonly responseKey: string;
  readonly email: string;
}

/**
 * The `login` and `register` root fields the operation selects (a mutation's root fields,
 * through inline fragments and fragment spreads), one entry per field: aliases are counted.
 */
export function authAttempts(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): AuthAttempt[] {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation') return [];
  const fragments = new Map(
    document.definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [],
    ),
  );
  const attempts: AuthAttempt[] = [];
  const visited = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment !== undefined && !visited.has(fragment.name.value)) {
          visited.add(fragment.name.value);
          walk(fragment.selectionSet);
        }
      } else if (selection.name.value === 'login' || selection.name.value === 'register') {
        const emailArgument = selection.arguments?.find((argument) => argument.name.value === 'email');
        const email = emailArgument === undefined ? undefined : argumentValue(emailArgument.value, variables);
        attempts.push({
          field: selection.name.value,
          responseKey: selection.alias?.value ?? selection.name.value,
          email: typeof email === 'string' ? email.trim().toLowerCase() : '',
        });
      }
    }
  };
  walk(operation.selectionSet);
  return attempts;
}

function argumentValue(node: ValueNode, variables: Readonly<Record<string, unknown>> | null | undefined): unknown {
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  return node.kind === Kind.STRING ? node.value : undefined;
}

/**
 * What a refusal names in `extensions.limit`: the variable that sets the limit, as the
 * WebSocket's WEBSOCKET_MAX_SUBSCRIPTIONS does (metrics count refusals by it).
 */
export type RateLimitName = 'RATE_LIMIT_PER_MINUTE' | 'LOGIN_ATTEMPTS_PER_15_MIN' | 'REGISTER_ATTEMPTS_PER_HOUR';

/** Takes `points` from `limiter` for `key`: the seconds to wait when refused, undefined when allowed. */
export type LimitCheck = (limiter: PointConsumer, key: string, points: number) => Promise<number | undefined>;

/**
 * The check every limit goes through: bounded in time, and a Redis that is down or slow lets
 * the request through (logged at most every 10 s, counted in `redis_command_errors_total`).
 */
export function createLimitCheck(
  limiters: RateLimiters,
  options: { logger: Logger; metrics?: ServiceMetrics | undefined },
): LimitCheck {
  let lastFailureLog = 0;
  return async (limiter, key, points) => {
    try {
      const consumed = limiters.firstConnection.then(() => limiter.consume(key, points));
      await lagTolerantTimeout(consumed, REDIS_COMMAND_TIMEOUT_MS, 'Rate limiter');
      return undefined;
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      options.metrics?.redisCommandErrors.inc({ client: 'rate_limit', command: 'consume' });
      if (Date.now() - lastFailureLog > FAILURE_LOG_INTERVAL_MS) {
        lastFailureLog = Date.now();
        options.logger.warn({ err: error }, 'rate limiter unavailable: requests are not being limited');
      }
      return undefined;
    }
  };
}

/** Whose RATE_LIMIT_PER_MINUTE an operation counts against: its viewer, or its client IP when anonymous. */
export function operationLimitKey(viewer: { readonly id: string } | null, ip: string): string {
  return viewer === null ? `ip:${ip}` : `viewer:${viewer.id}`;
}

/** The envelop plugin; put it before the executor plugins so a refusal stops execution. */
export function useRateLimit(
  limiters: RateLimiters,
  options: {
    trustProxy: boolean;
    logger: Logger;
    /** Where failed limiter commands are counted (`redis_command_errors_total{client="rate_limit"}`). */
    metrics?: ServiceMetrics;
  },
): Plugin<GatewayContext> {
  const commandFailed = (command: 'consume' | 'delete') =>
    options.metrics?.redisCommandErrors.inc({ client: 'rate_limit', command });
  const consume = createLimitCheck(limiters, options);

  /** Counts the operation; a refusal as the result to send, or `onDone` to run on the result. */
  const check = async (
    args: ExecutionArgs,
  ): Promise<{ refused: ExecutionResult } | { onDone?: (result: ExecutionResult) => void }> => {
    const context = args.contextValue as GatewayContext;
    const ip = clientIp(context, options.trustProxy);
    // Over HTTP the refusal is a 429 with Retry-After; over a WebSocket there is no status.
    const refuse = (limit: RateLimitName, message: string, retryAfter: number) => ({
      refused: {
        errors: [
          new RateLimitedError(`${message} Try again in ${retryAfter} s.`, retryAfter, {
            limit,
            ...(context.transport !== 'websocket'
              ? { http: { status: 429, headers: { 'Retry-After': String(retryAfter) } } }
              : {}),
          }),
        ],
      },
    });

    const wait = await consume(limiters.operations, operationLimitKey(context.viewer, ip), 1);
    if (wait !== undefined) return refuse('RATE_LIMIT_PER_MINUTE', 'Too many requests.', wait);

    const attempts = authAttempts(args.document, args.operationName, args.variableValues);
    if (attempts.length === 0) return {};
    const loginKey = (email: string) => `${email}|${ip}`;
    const loginsPerKey = new Map<string, number>();
    let registrations = 0;
    for (const attempt of attempts) {
      if (attempt.field === 'register') registrations += 1;
      else loginsPerKey.set(loginKey(attempt.email), (loginsPerKey.get(loginKey(attempt.email)) ?? 0) + 1);
    }
    for (const [key, count] of loginsPerKey) {
      const loginWait = await consume(limiters.logins, key, count);
      if (loginWait !== undefined) return refuse('LOGIN_ATTEMPTS_PER_15_MIN', 'Too many sign-in attempts.', loginWait);
    }
    if (registrations > 0) {
      const registerWait = await consume(limiters.registrations, ip, registrations);
      if (registerWait !== undefined)
        return refuse('REGISTER_ATTEMPTS_PER_HOUR', 'Too many accounts created from this address.', registerWait);
    }
    const logins = attempts.filter((attempt) => attempt.field === 'login');
    if (logins.length === 0) return {};
    return {
      onDone(result) {
        // A successful login proves the password: its failed attempts no longer count.
        for (const login of logins) {
          if (result.data?.[login.responseKey] == null) continue;
          limiters.logins.delete(loginKey(login.email)).catch((error: unknown) => {
            commandFailed('delete');
            options.logger.warn({ err: error }, 'rate limiter: could not reset login attempts');
          });
        }
      },
    };
  };

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const outcome = await check(args);
      if ('refused' in outcome) {
        setResultAndStopExecution(outcome.refused);
        return;
      }
      const { onDone } = outcome;
      if (onDone === undefined) return;
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) onDone(result);
        },
      };
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const outcome = await check(args);
      if ('refused' in outcome) setResultAndStopExecution(outcome.refused);
    },
  };
}
