import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { ConfigError } from '../../lib/kernel/config.js';
import { createTokenService } from '../../lib/kernel/tokens.js';
import { type DiffArguments, parseDiffArguments, USAGE, UsageError } from './cli-arguments.js';
import { comparisonConfig } from './comparison-config.js';
import { type LoadedOperation, loadOperations, OperationsError } from './operations.js';
import { type OperationOutcome, outcomeLines, summaryLine } from './report.js';

/** Where the command writes: `out` the report, `err` usage, warnings and failures. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** The exit codes of `npm run federation:diff`. */
export const EXIT = Object.freeze({ same: 0, differs: 1, badArguments: 2, failed: 3 });

/**
 * `npm run federation:diff`: every operation of a directory asked of stock Apollo and of ours
 * over the given supergraph, one line (and its differences) per operation, then a summary.
 * `env` is the environment: ours' config (lib/kernel/config.ts), SUBGRAPH_SIGNING_SECRET, and npm's
 * INIT_CWD, the directory relative paths were typed in (npm runs scripts from the package root).
 */
export async function runFederationDiff(argv: readonly string[], env: NodeJS.ProcessEnv, output: Output): Promise<number> {
  let plan: Plan;
  try {
    const parsed = parseDiffArguments(argv);
    if (parsed === 'help') {
      output.out(USAGE);
      return EXIT.same;
    }
    plan = await planOf(parsed, env);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof OperationsError || error instanceof ConfigError)) throw error;
    output.err(`federation:diff: ${error.message}`);
    output.err('');
    output.err(USAGE);
    return EXIT.badArguments;
  }
  for (const warning of plan.warnings) output.err(`warning: ${warning}`);
  output.out(`Supergraph ${plan.supergraphPath}: ${plan.subgraphs.length} subgraphs`);
  const width = Math.max(...plan.subgraphs.map(({ name }) => name.length));
  for (const { name, url } of plan.subgraphs) output.out(`  ${name.padEnd(width)}  ${url}`);
  output.out(
    `Operations in ${plan.operationsPath}: ${plan.operations.length}, each asked of stock, then of ours with the response cache cold, warm and off, and with the entity cache alone cold and warm`,
  );
  output.out('');
  const outcomes: OperationOutcome[] = [];
  // The gateways' modules load only once the arguments are known good: a usage error is quick.
  const { startComparison } = await import('./comparison.js');
  const { differingAnswersOf } = await import('./verdict.js');
  let comparison: Awaited<ReturnType<typeof startComparison>> | undefined;
  try {
    comparison = await startComparison(plan.supergraphSdl, {
      env,
      signingSecret: plan.signingSecret,
      forwardHeaders: Object.keys(plan.headers),
      // With LOG_LEVEL set, ours' log (the causes behind "Unexpected error.") goes to stderr, not into the report.
      logDestination: 2,
    });
    for (const operation of plan.operations) {
      const skipped = skipReason(operation, plan.allowMutations);
      let outcome: OperationOutcome;
      if (skipped !== undefined) {
        outcome = { operation, verdict: 'skipped', reason: skipped };
      } else {
        const answers = await comparison.ask({
          query: operation.document,
          variables: plan.variables[operation.name] ?? {},
          operationName: operation.operationName,
          headers: plan.headers,
        });
        const differing = differingAnswersOf(answers);
        outcome = differing.length === 0 ? { operation, verdict: 'same' } : { operation, verdict: 'differs', differing };
      }
      outcomes.push(outcome);
      for (const line of outcomeLines(outcome)) output.out(line);
    }
  } catch (error) {
    output.err(`federation:diff could not finish: ${(error as Error).message}`);
    return EXIT.failed;
  } finally {
    await comparison?.stop();
  }
  output.out('');
  output.out(summaryLine(outcomes));
  return outcomes.some((outcome) => outcome.verdict === 'differs') ? EXIT.differs : EXIT.same;
}

/** What a run will do, every argument checked. */
interface Plan {
  readonly supergraphPath: string;
  readonly supergraphSdl: string;
  readonly subgraphs: readonly { name: string; url: string }[];
  readonly operationsPath: string;
  readonly operations: readonly LoadedOperation[];
  readonly variables: Readonly<Record<string, Record<string, unknown>>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly signingSecret: string | undefined;
  readonly allowMutations: boolean;
  readonly warnings: readonly string[];
}

async function planOf(args: DiffArguments, env: NodeJS.ProcessEnv): Promise<Plan> {
  const from = (path: string) => (isAbsolute(path) ? path : resolve(env.INIT_CWD ?? process.cwd(), path));
  const supergraphSdl = readArgumentFile('--supergraph', from(args.supergraph));
  const subgraphs = subgraphsOf(supergraphSdl, args.supergraph);
  const operations = loadOperations(from(args.operations));
  if (operations.length === 0) throw new UsageError(`--operations ${args.operations} holds no operation in a .graphql file`);
  const variables =
    args.variables === undefined
      ? {}
      : variablesOf(readArgumentFile('--variables', from(args.variables)), args.variables, operations);
  const signingSecretOfEnv = await checkedConfig(env, args.headers.authorization);
  const signingSecret = args.signingSecret ?? signingSecretOfEnv;
  const mutations = operations.filter((operation) => operation.kind === 'mutation');
  const warnings: string[] = [];
  if (args.allowMutations && mutations.length > 0) {
    warnings.push(
      `--allow-mutations: each of the ${mutations.length} mutations runs 6 times against the subgraphs below (stock, ours cold, warm and off, entity cache cold and warm)`,
    );
  }
  const notForwardedByOurs = Object.keys(args.headers).filter((name) => name !== 'authorization');
  if (notForwardedByOurs.length > 0) {
    warnings.push(
      `ours passes on only Authorization to subgraphs; ${notForwardedByOurs.join(', ')} reach them through stock alone, so answers that depend on them differ`,
    );
  }
  return {
    supergraphPath: args.supergraph,
    supergraphSdl,
    subgraphs,
    operationsPath: args.operations,
    operations,
    variables,
    headers: args.headers,
    signingSecret,
    allowMutations: args.allowMutations,
    warnings,
  };
}

function readArgumentFile(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${option} ${path}: ${(error as Error).message}`);
  }
}

/** The subgraphs the supergraph routes to, by `join__graph` name and URL. */
function subgraphsOf(supergraphSdl: string, path: string): { name: string; url: string }[] {
  let subgraphs: readonly { name: string; url: string }[];
  try {
    subgraphs = Supergraph.build(supergraphSdl).subgraphsMetadata();
  } catch (error) {
    throw new UsageError(`--supergraph ${path} is not a supergraph: ${(error as Error).message}`);
  }
  if (subgraphs.length === 0) throw new UsageError(`--supergraph ${path} has no subgraphs`);
  const unrouted = subgraphs.filter(({ url }) => url === '').map(({ name }) => name);
  if (unrouted.length > 0) throw new UsageError(`--supergraph ${path}: no URL for ${unrouted.join(', ')} (join__graph url)`);
  return [...subgraphs];
}

function variablesOf(
  text: string,
  path: string,
  operations: readonly LoadedOperation[],
): Record<string, Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--variables ${path} is not JSON: ${(error as Error).message}`);
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(parsed)) throw new UsageError(`--variables ${path} must be an object of variables by operation name`);
  const names = new Set(operations.map((operation) => operation.name));
  for (const [name, variables] of Object.entries(parsed)) {
    if (!names.has(name))
      throw new UsageError(`--variables ${path} has variables for ${name}, which is no operation of the directory`);
    if (!isObject(variables)) throw new UsageError(`--variables ${path}: the variables of ${name} must be an object`);
  }
  return parsed as Record<string, Record<string, unknown>>;
}

/**
 * Checks that ours can run on `env` (ConfigError names every bad variable) and can verify the
 * bearer token given (otherwise every answer of ours would be UNAUTHENTICATED); returns
 * SUBGRAPH_SIGNING_SECRET when set.
 */
async function checkedConfig(env: NodeJS.ProcessEnv, authorization: string | undefined): Promise<string | undefined> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chitlaq-federation-diff-'));
  try {
    const config = comparisonConfig(env, { dataDir, responseCache: false });
    if (authorization !== undefined) {
      try {
        await createTokenService(config.auth).viewerFromHeader(authorization);
      } catch (error) {
        throw new UsageError(
          `ours cannot verify --header authorization (${(error as Error).message}): set JWT_SECRET, or JWT_PUBLIC_KEY, and JWT_ISSUER and JWT_AUDIENCE, as the token's issuer signs it`,
        );
      }
    }
    return config.subgraphSigning.source === 'env' ? config.subgraphSigning.secret : undefined;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function skipReason(operation: LoadedOperation, allowMutations: boolean): string | undefined {
  if (operation.kind === 'subscription') return 'a subscription (stock Apollo Server does not serve them)';
  if (operation.kind === 'mutation' && !allowMutations) return 'a mutation (pass --allow-mutations to run it 6 times)';
  return undefined;
}
