/**
 * `npm run build [-- --out-dir DIR]`: the production build into dist/ (or DIR), started with
 * `node dist/gateway/main.js` and the like (docs/deployment.md; scripts/build-output.ts).
 */

import { join } from 'node:path';
import { exitOnStartupError } from '../lib/infra/shutdown.js';
import { buildOutput, REPOSITORY_ROOT } from './build-output.js';

const USAGE = 'usage: npm run build [-- --out-dir DIR]';

function outDirFrom(args: readonly string[]): string {
  if (args.length === 0) return join(REPOSITORY_ROOT, 'dist');
  if (args.length === 2 && args[0] === '--out-dir' && args[1] !== undefined && args[1] !== '') return args[1];
  throw new Error(USAGE);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const build = await buildOutput(outDirFrom(process.argv.slice(2)));
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`Built ${build.outDir} in ${seconds} s`);
  console.log(`  entry points: ${build.entryPoints.join(', ')}`);
  console.log(`  run-time files copied: ${build.assets.map((asset) => asset.path).join(', ')}`);
}

main().catch(exitOnStartupError);
