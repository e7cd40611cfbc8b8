import { randomUUID } from 'node:crypto';
import type { Answer } from '../../../tools/federation-diff/answers.js';
import { expectedOfOurs, type FixOfOurs, withGatewayErrorsMasked } from '../../../tools/federation-diff/answers.js';
import { type OperationAnswers, startComparison } from '../../../tools/federation-diff/comparison.js';
import type { RunningGateway } from '../../../tools/federation-diff/gateways.js';
import { TEST_JWT_SECRET } from '../platform.js';
import { signScopedToken } from '../scoped-token.js';
import { composeSupergraph } from './compose.js';
import type { FixtureSubgraph, RunningSubgraph } from './fixture-subgraph.js';
import { startFixtureSubgraph } from './fixture-subgraph.js';

// The comparison itself lives in tools/federation-diff/ (also run by `npm run federation:diff`).
export type { Answer, AnswerError } from '../../../tools/federation-diff/answers.js';
export { withGatewayErrorsMasked };

/** What ours must answer to `testCase`: the spec's answer where stock is wrong or refuses, else stock's with our documented fixes. */
export function expectedOfCase(testCase: DifferentialCase, stock: Answer | undefined): Answer {
  if (testCase.beyondStock !== undefined) return testCase.beyondStock.ours;
  if (stock === undefined)
    throw new Error(`case "${testCase.name}": stock refuses the supergraph, so the case needs beyondStock`);
  return expectedOfOurs(testCase, stock);
}

/** One operation sent to every gateway. */
export interface DifferentialCase {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** Asked signed in (a token of a new user), with `scope` as the token's `scope` claim; anonymous when absent. */
  readonly viewer?: { readonly scope?: string };
  /** Where ours answers differently from stock on purpose (docs/federation.md). */
  readonly fixOfOurs?: FixOfOurs;
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

/** Every answer to one case: stock's, and ours with the cache cold, warm and off. */
export type CaseAnswers = OperationAnswers;

export interface Differential {
  readonly supergraphSdl: string;
  /** Ours, for tests that ask more than the differential does. */
  readonly gateways: {
    readonly cacheOn: RunningGateway;
    readonly cacheOff: RunningGateway;
    readonly entityCacheOnly: RunningGateway;
  };
  /** A token ours accepts for a new user, with `scope` as its `scope` claim. */
  signIn(scope?: string): Promise<string>;
  run(testCase: DifferentialCase): Promise<CaseAnswers>;
  stop(): Promise<void>;
}

/**
 * The config variables of ours in the suite: the test JWT secret, logs as TEST_LOG_LEVEL says,
 * the response cache in Redis when REDIS_URL is set (under a namespace of its own).
 */
export const SUITE_ENV: NodeJS.ProcessEnv = {
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  JWT_SECRET: TEST_JWT_SECRET,
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
};

/**
 * Serves `fixture`'s subgraphs, composes them, and starts stock Apollo and ours (cache on, cache
 * off) over the result (tools/federation-diff/comparison.ts).
 */
export async function startDifferential(fixture: Fixture): Promise<Differential> {
  const subgraphs: RunningSubgraph[] = [];
  let stopComparison: () => Promise<void> = async () => undefined;
  const stop = async () => {
    await stopComparison();
    for (const subgraph of subgraphs) await subgraph.stop();
  };
  try {
    for (const subgraph of fixture.subgraphs) subgraphs.push(await startFixtureSubgraph(subgraph));
    const supergraphSdl = composeSupergraph(
      fixture.subgraphs.map((subgraph, index) => ({ ...subgraph, url: subgraphs[index]?.url as string })),
    );
    const comparison = await startComparison(supergraphSdl, {
      env: SUITE_ENV,
      withoutStock: fixture.stockRefuses !== undefined,
    });
    stopComparison = () => comparison.stop();
    const auth = comparison.ours.cacheOn.auth;
    const signIn = (scope?: string) => {
      if (auth === undefined) throw new Error('ours did not say how it verifies tokens');
      return signScopedToken(auth, randomUUID(), scope);
    };
    return {
      supergraphSdl,
      gateways: comparison.ours,
      signIn,
      async run(testCase) {
        // Every gateway of the comparison shares one secret: one token serves every ask.
        const token = testCase.viewer === undefined ? undefined : await signIn(testCase.viewer.scope);
        return comparison.ask({
          query: testCase.query,
          variables: testCase.variables ?? {},
          ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
        });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
