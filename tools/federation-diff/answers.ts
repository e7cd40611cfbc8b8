import type { RunningGateway } from './gateways.js';

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

/**
 * Where ours answers differently from stock on purpose (docs/federation.md): why, and the
 * answer ours gives, derived from stock's.
 */
export interface FixOfOurs {
  readonly why: string;
  readonly answer: (stock: Answer) => Answer;
}

/** One request to a gateway: the document, its variables, and the client's headers. */
export interface GatewayRequest {
  readonly query: string;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly operationName?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * What ours must answer, given stock's answer: stock's, with its value-completion nulls as
 * errors (the one fix of ours that applies to every answer), then the operation's own fix.
 */
export function expectedOfOurs(operation: { readonly fixOfOurs?: FixOfOurs | undefined }, stock: Answer): Answer {
  const { valueCompletion, ...answer } = stock;
  const reported: Answer =
    valueCompletion === undefined || valueCompletion.length === 0
      ? answer
      : {
          ...answer,
          errors: [...(answer.errors ?? []), ...valueCompletion.map((error) => ({ ...error, code: 'INTERNAL_SERVER_ERROR' }))],
        };
  return operation.fixOfOurs === undefined ? reported : operation.fixOfOurs.answer(reported);
}

/** `answer` with each error of the gateway's own (not a subgraph's) masked, as ours masks them (lib/service/yoga-options.ts). */
export function withGatewayErrorsMasked(answer: Answer): Answer {
  return {
    ...answer,
    ...(answer.errors === undefined
      ? {}
      : { errors: answer.errors.map((error) => ({ ...error, message: 'Unexpected error.', code: 'INTERNAL_SERVER_ERROR' })) }),
  };
}

/** POSTs one operation to `gateway` and reads its answer and X-Cache. */
export async function askGateway(
  gateway: RunningGateway,
  request: GatewayRequest,
): Promise<{ answer: Answer; xCache: string | null }> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: {
      ...request.headers,
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    },
    body: JSON.stringify({
      query: request.query,
      variables: request.variables,
      ...(request.operationName === undefined ? {} : { operationName: request.operationName }),
    }),
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
