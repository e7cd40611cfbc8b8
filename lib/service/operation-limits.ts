import type { Plugin } from '@envelop/core';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import type { Config } from '../kernel/config.js';
import type { ErrorCode } from '../kernel/errors.js';
import { useNestingLimit } from './document-nesting.js';
import { useResultBreadthLimit } from './result-breadth.js';

/**
 * Refuses operations too big to be worth planning (graphql-armor): depth, aliases, tokens,
 * directives and an estimated cost. They are envelop parse/validate plugins, so they apply to
 * HTTP and to operations over the gateway's WebSocket alike (websocket-server.ts uses
 * yoga.getEnveloped). The gateway and every subgraph (lib/service/subgraph.ts) apply them. Armor's
 * errors carry no code; `reportAs` gives each the one API.md promises.
 * In production "Did you mean …?" suggestions are removed: they let a stranger map a schema
 * whose introspection is off.
 */
export function useOperationLimits(limits: Config['operationLimits'], options: { production: boolean }): Plugin[] {
  const rejected = reportAs('GRAPHQL_VALIDATION_FAILED');
  const plugins: Plugin[] = [
    // Counted while lexing, so a huge document is refused before it is fully parsed; the parse
    // error it throws is caught like any syntax error, over HTTP and WebSocket.
    maxTokensPlugin({ n: limits.maxTokens, onReject: [rejected] }),
    // After the token limit, so it wraps armor's parser: a deeply nested literal would overflow
    // graphql-js's recursive parser (a RangeError) before the token count is reached.
    useNestingLimit(),
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...rejectWith(rejected) }),
    // Every alias counts, `__typename` ones too (armor lets those through by default): 101
    // aliased `__typename`s are as much work to answer as any other aliases.
    maxAliasesPlugin({ n: limits.maxAliases, allowList: [], ...rejectWith(rejected) }),
    maxDirectivesPlugin({ n: limits.maxDirectives, ...rejectWith(rejected) }),
    costLimitPlugin({ maxCost: limits.maxCost, ignoreIntrospection: true, ...rejectWith(reportAs('OPERATION_TOO_COMPLEX')) }),
    // Armor's cost sees literal page sizes only; this one, at execution, those of variables and defaults too.
    useResultBreadthLimit(),
  ];
  plugins.push(useDistinctValidationErrors());
  if (options.production) plugins.push(blockFieldSuggestionsPlugin());
  return plugins;
}

/**
 * One validation error per distinct message: `__typename @aa @aa …` would
 * otherwise answer one "Unknown directive" per copy, a response that grows with the document.
 */
export function useDistinctValidationErrors(): Plugin {
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length < 2) return;
        const seen = new Set<string>();
        const distinct = result.filter((error) => {
          const key = error.message;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        if (distinct.length < result.length) setResult(distinct);
      };
    },
  };
}

/**
 * Armor's validation rules throw their error by default (`propagateOnRejection`): Yoga's HTTP
 * pipeline catches that, but graphql-ws treats an exception in `validate` as an internal error
 * and closes the socket. Reporting through the ValidationContext makes the refusal an ordinary
 * validation error everywhere.
 */
function rejectWith(onReject: GraphQLArmorRejectCallback) {
  return { propagateOnRejection: false, onReject: [onReject] };
}

function reportAs(code: ErrorCode): GraphQLArmorRejectCallback {
  return (context, error) => {
    // Armor's errors carry no code; their extensions are a plain object we may complete.
    Object.assign(error.extensions as Record<string, unknown>, { code });
    context?.reportError(error);
  };
}

/** Levels a query plan's subgraph fetch may add to the client's operation (`_entities`, `... on T`, keys). */
const PLAN_DEPTH_MARGIN = 4;

/**
 * What a subgraph refuses, derived from what the gateway lets through: every query plan of an
 * operation within the gateway's limits fits (a fetch is a part of the operation, plus the
 * entity wrapper, key fields and `__typename`s the planner adds), and nothing much larger does.
 */
export function subgraphOperationLimits(gateway: Config['operationLimits']): Config['operationLimits'] {
  return {
    maxDepth: gateway.maxDepth + PLAN_DEPTH_MARGIN,
    maxAliases: gateway.maxAliases * 2 + 10,
    maxTokens: gateway.maxTokens * 4,
    maxDirectives: gateway.maxDirectives * 2,
    maxCost: gateway.maxCost * 2,
  };
}
