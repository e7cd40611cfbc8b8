/**
 * `npm run federation:diff -- --supergraph <file> --operations <dir>`: the differential suite's
 * comparison (stock Apollo against ours, response cache cold, warm and off) over a supergraph
 * whose subgraphs run elsewhere. `--help` lists the options; docs/federation.md explains them.
 */
import { runFederationDiff } from '../tools/federation-diff/main.js';

const output = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

runFederationDiff(process.argv.slice(2), process.env, output).then(
  // Exit once the report is written: a subgraph connection some client keeps alive must not hold the process.
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    console.error(error);
    process.exit(3);
  },
);
