import { expectedOfOurs, type FixOfOurs, withGatewayErrorsMasked } from '../../../tools/federation-diff/answers.js';
import { type OperationAnswers, startComparison } from '../../../tools/federation-diff/comparison.js';
import { TEST_JWT_SECRET } from '../platform.js';
import { composeSupergraph } from './compose.js';
import type { FixtureSubgraph, RunningSubgraph } from './fixture-subgraph.js';
import { startFixtureSubgraph } from './fixture-subgraph.js';

// The comparison itself lives in tools/federation-diff/ (also run by `npm run federation:diff`).
export type { Answer, AnswerError } from '../../../tools/federation-diff/answers.js';
export { expectedOfOurs, withGatewayErrorsMasked };

/** One operation sent to every gateway. */
export interface DifferentialCase {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** Where ours answers differently from stock on purpose (docs/federation.md). */
  readonly fixOfOurs?: FixOfOurs;
}

/** A supergraph of fixture subgraphs and the operations run over it. */
export interface Fixture {
  readonly name: string;
  readonly subgraphs: readonly FixtureSubgraph[];
  readonly cases: readonly DifferentialCase[];
}

/** Every answer to one case: stock's, and ours with the cache cold, warm and off. */
export type CaseAnswers = OperationAnswers;

export interface Differential {
  readonly supergraphSdl: string;
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
    const comparison = await startComparison(supergraphSdl, { env: SUITE_ENV });
    stopComparison = () => comparison.stop();
    return {
      supergraphSdl,
      run: (testCase) => comparison.ask({ query: testCase.query, variables: testCase.variables ?? {} }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
