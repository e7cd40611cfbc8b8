import { parseArgs } from 'node:util';

export const USAGE = `Usage: npm run federation:diff -- --supergraph <file> --operations <dir> [options]

Asks every query (and, when allowed, mutation) of <dir>'s .graphql files of stock Apollo
(Apollo Server 5 + @apollo/gateway) and of ours (response cache cold, warm, and off), all
started here over <file>, whose subgraphs are called at its join__graph URLs.

Options:
  --supergraph <file>       the supergraph SDL (rover supergraph compose's output)
  --operations <dir>        .graphql files: one operation each, or named operations
  --variables <file.json>   variables by operation name: {"GetProduct": {"upc": "1"}}
  --header "Name: value"    sent with every operation; stock passes it on to the subgraphs,
                            ours passes on Authorization (verified, as in production). Repeatable.
  --signing-secret <secret> sign subgraph requests (this project's subgraphs); or SUBGRAPH_SIGNING_SECRET
  --allow-mutations         run mutations too: each runs 6 times against the subgraphs
  -h, --help                this text

Exit code: 0 all answers the same, 1 some differ, 2 bad arguments, 3 could not finish.`;

/** What the command was asked to do. */
export interface DiffArguments {
  readonly supergraph: string;
  readonly operations: string;
  readonly variables: string | undefined;
  /** By lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signingSecret: string | undefined;
  readonly allowMutations: boolean;
}

/** Arguments the command cannot run with; the message says which and why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `argv` (without node and the script) as DiffArguments, `'help'` for --help; UsageError when they are wrong. */
export function parseDiffArguments(argv: readonly string[]): DiffArguments | 'help' {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return 'help';
  const missing = (['supergraph', 'operations'] as const).filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(' and ')}`);
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*?)\s*$/.exec(header);
    if (match === null) throw new UsageError(`--header "${header}" is not "Name: value"`);
    const name = (match[1] as string).toLowerCase();
    if (name in headers) throw new UsageError(`--header ${name} is given twice`);
    if (name === 'content-type' || name === 'accept') throw new UsageError(`--header ${name}: the command sets it itself`);
    headers[name] = match[2] as string;
  }
  const signingSecret = values['signing-secret'];
  if (signingSecret !== undefined && signingSecret.length < 32)
    throw new UsageError('--signing-secret must be at least 32 characters');
  return {
    supergraph: values.supergraph as string,
    operations: values.operations as string,
    variables: values.variables,
    headers,
    signingSecret,
    allowMutations: values['allow-mutations'] === true,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      supergraph: { type: 'string' },
      operations: { type: 'string' },
      variables: { type: 'string' },
      header: { type: 'string', multiple: true },
      'signing-secret': { type: 'string' },
      'allow-mutations': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
