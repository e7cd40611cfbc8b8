import { composeSupergraph } from './compose.js';
import type { FixtureSubgraph, RunningSubgraph } from './fixture-subgraph.js';
import { startFixtureSubgraph } from './fixture-subgraph.js';
import { type RunningGateway, startOurGateway, startStockGateway } from './gateways.js';

/** What a client reads of an answer, the part every gateway must agree on. */
export interface Answer {
  readonly data?: unknown;
  readonly errors?: readonly AnswerError[];
  /**
   * What stock @apollo/gateway reports in `extensions.valueCompletion`: nulls it found in
   * non-null fields, which ours reports as errors (gateway/value-completion.ts).
   */
  readonly valueCompletion?: readonly AnswerError[];
}

export interface AnswerError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly code?: unknown;
}

/** One operation sent to every gateway. */
export interface DifferentialCase {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** Asked signed in (a token of a new user), with `scope` as the token's `scope` claim; anonymous when absent. */
  readonly viewer?: { readonly scope?: string };
  /**
   * Where ours answers differently from stock on purpose (docs/federation.md): why, and the
   * answer ours gives, derived from stock's.
   */
  readonly fixOfOurs?: { readonly why: string; readonly answer: (stock: Answer) => Answer };
  /**
   * Where stock is wrong or cannot serve the supergraph at all (docs/federation.md, "Beyond
   * stock"): why, what stock answers (absent when it refuses the supergraph), and the answer
   * the Federation spec asks for, which ours must give.
   */
  readonly beyondStock?: { readonly why: string; readonly stock?: Answer; readonly ours: Answer };
}

/** A supergraph of fixture subgraphs and the operations run over it. */
export interface Fixture {
  readonly name: string;
  readonly subgraphs: readonly FixtureSubgraph[];
  readonly cases: readonly DifferentialCase[];
  /**
   * Why stock @apollo/gateway refuses to load this supergraph (it links a `for: SECURITY` spec
   * stock does not implement); every case then says what ours answers in `beyondStock`.
   */
  readonly stockRefuses?: string;
}

/** Every answer to one case: stock's (none when it refuses the supergraph), and ours with the cache cold, warm and off. */
export interface CaseAnswers {
  readonly stock: Answer | undefined;
  readonly cold: Answer;
  readonly warm: Answer;
  readonly off: Answer;
  /** X-Cache of ours' cold and warm answers (null where the cache did not answer that operation). */
  readonly xCache: { readonly cold: string | null; readonly warm: string | null };
}

export interface Differential {
  readonly supergraphSdl: string;
  /** Ours, for tests that ask more than the differential does. */
  readonly gateways: { readonly cacheOn: RunningGateway; readonly cacheOff: RunningGateway };
  run(testCase: DifferentialCase): Promise<CaseAnswers>;
  stop(): Promise<void>;
}

/**
 * Serves `fixture`'s subgraphs, composes them, and starts stock Apollo and ours (cache on, cache
 * off) over the result. `run` asks each gateway in turn, never two at once: the fixture
 * subgraphs may keep state (mutations), and every gateway must see the same.
 */
export async function startDifferential(fixture: Fixture): Promise<Differential> {
  const subgraphs: RunningSubgraph[] = [];
  const gateways: RunningGateway[] = [];
  const stop = async () => {
    for (const gateway of gateways) await gateway.stop();
    for (const subgraph of subgraphs) await subgraph.stop();
  };
  try {
    for (const subgraph of fixture.subgraphs) subgraphs.push(await startFixtureSubgraph(subgraph));
    const supergraphSdl = composeSupergraph(
      fixture.subgraphs.map((subgraph, index) => ({ ...subgraph, url: subgraphs[index]?.url as string })),
    );
    const stock = fixture.stockRefuses === undefined ? await startStockGateway(supergraphSdl) : undefined;
    if (stock !== undefined) gateways.push(stock);
    const cached = await startOurGateway(supergraphSdl, { responseCache: true });
    gateways.push(cached);
    const uncached = await startOurGateway(supergraphSdl, { responseCache: false });
    gateways.push(uncached);
    return {
      supergraphSdl,
      gateways: { cacheOn: cached, cacheOff: uncached },
      async run(testCase) {
        // Both of ours share a secret: one token serves every ask (stock ignores it).
        const token = testCase.viewer === undefined ? undefined : await cached.signIn?.(testCase.viewer.scope);
        const fromStock = stock === undefined ? undefined : await ask(stock, testCase, token);
        const cold = await ask(cached, testCase, token);
        const warm = await ask(cached, testCase, token);
        const off = await ask(uncached, testCase, token);
        return {
          stock: fromStock?.answer,
          cold: cold.answer,
          warm: warm.answer,
          off: off.answer,
          xCache: { cold: cold.xCache, warm: warm.xCache },
        };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What ours must answer to `testCase`, given stock's answer: stock's, with its value-completion
 * nulls as errors (the one fix of ours that applies to every answer), then the case's own fix.
 */
export function expectedOfOurs(testCase: DifferentialCase, stock: Answer | undefined): Answer {
  if (testCase.beyondStock !== undefined) return testCase.beyondStock.ours;
  if (stock === undefined)
    throw new Error(`case "${testCase.name}": stock refuses the supergraph, so the case needs beyondStock`);
  const { valueCompletion, ...answer } = stock;
  const reported: Answer =
    valueCompletion === undefined || valueCompletion.length === 0
      ? answer
      : {
          ...answer,
          errors: [...(answer.errors ?? []), ...valueCompletion.map((error) => ({ ...error, code: 'INTERNAL_SERVER_ERROR' }))],
        };
  return testCase.fixOfOurs === undefined ? reported : testCase.fixOfOurs.answer(reported);
}

/** `answer` with each error of the gateway's own (not a subgraph's) masked, as ours masks them (lib/yoga-options.ts). */
export function withGatewayErrorsMasked(answer: Answer): Answer {
  return {
    ...answer,
    ...(answer.errors === undefined
      ? {}
      : { errors: answer.errors.map((error) => ({ ...error, message: 'Unexpected error.', code: 'INTERNAL_SERVER_ERROR' })) }),
  };
}

function ask(
  gateway: RunningGateway,
  testCase: DifferentialCase,
  token: string | undefined,
): Promise<{ answer: Answer; xCache: string | null }> {
  return askGateway(gateway, { query: testCase.query, variables: testCase.variables ?? {}, token });
}

/** POSTs one operation to `gateway` (as `token`'s holder, when given) and reads its answer and X-Cache. */
export async function askGateway(
  gateway: RunningGateway,
  operation: { query: string; variables: Record<string, unknown>; token?: string | undefined },
): Promise<{ answer: Answer; xCache: string | null }> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(operation.token === undefined ? {} : { authorization: `Bearer ${operation.token}` }),
    },
    body: JSON.stringify({ query: operation.query, variables: operation.variables }),
  });
  const text = await response.text();
  let body: Parameters<typeof answerOf>[0];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${gateway.label} answered HTTP ${response.status} with no JSON: ${text.slice(0, 200)}`);
  }
  return { answer: answerOf(body), xCache: response.headers.get('x-cache') };
}

interface ResponseError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: unknown };
}

/** The comparable part of a response body: data, each error's message, path and code, and stock's value-completion nulls. */
export function answerOf(body: {
  data?: unknown;
  errors?: readonly ResponseError[];
  extensions?: { valueCompletion?: readonly ResponseError[] };
}): Answer {
  const valueCompletion = body.extensions?.valueCompletion;
  return {
    ...('data' in body ? { data: body.data } : {}),
    ...(body.errors === undefined ? {} : { errors: body.errors.map(errorOf) }),
    ...(valueCompletion === undefined ? {} : { valueCompletion: valueCompletion.map(errorOf) }),
  };
}

function errorOf(error: ResponseError): AnswerError {
  return {
    message: error.message,
    ...(error.path === undefined ? {} : { path: error.path }),
    ...(error.extensions?.code === undefined ? {} : { code: error.extensions.code }),
  };
}
