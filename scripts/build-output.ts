import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The production build (`npm run build`): the processes of a deployment compiled by tsc to
 * JavaScript (tsconfig.build.json lists them; tsc follows their imports), so they start with
 * plain `node` and no TypeScript loader, plus the files that code reads next to itself at run
 * time (`new URL('…', import.meta.url)`: the supergraph, the subgraph schemas, the
 * trusted-documents manifest). Bare imports resolve from a node_modules beside or above it.
 */

const run = promisify(execFile);

export const REPOSITORY_ROOT = resolve(import.meta.dirname, '..');
const BUILD_CONFIG = join(REPOSITORY_ROOT, 'tsconfig.build.json');
/** Written into every build: the code is ESM wherever the build is copied, and marks a directory as one. */
const BUILD_MANIFEST = 'package.json';
const BUILD_DESCRIPTION = 'ChitLaq Graph production build (npm run build); rebuilt in place, do not edit';

/** A file the compiled code reads relative to itself, and the source it was copied from. */
export interface BuildAsset {
  /** Path inside the build, e.g. `supergraph.graphql`. */
  readonly path: string;
  readonly source: string;
}

export interface BuildOutput {
  readonly outDir: string;
  /** Each entry point of tsconfig.build.json as it lies in the build: `gateway/main.js`, … */
  readonly entryPoints: readonly string[];
  readonly assets: readonly BuildAsset[];
}

/** The entry points tsconfig.build.json compiles, as `.ts` paths from the repository root. */
export function buildEntryPoints(): string[] {
  const config = JSON.parse(readFileSync(BUILD_CONFIG, 'utf8')) as { files: string[] };
  return config.files;
}

/**
 * Compiles into `outDir` (emptied first when it holds an earlier build; any other non-empty
 * directory is refused) and copies the run-time assets; throws when tsc fails or an asset is missing.
 * `typeCheck: false` only emits (tsc --noCheck, a sixth of the CPU): for builds of a working tree
 * that `npm run lint` type-checks anyway (`npm run cluster`, the tests); `npm run build` checks.
 */
export async function buildOutput(outDir: string, options: { typeCheck?: boolean } = {}): Promise<BuildOutput> {
  const target = resolve(outDir);
  prepareOutDir(target);
  const tsc = join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    const check = options.typeCheck === false ? ['--noCheck'] : [];
    await run(process.execPath, [tsc, '-p', BUILD_CONFIG, '--outDir', target, ...check], { cwd: REPOSITORY_ROOT });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed:\n${`${stdout ?? ''}${stderr ?? ''}`.trim() || (error as Error).message}`);
  }
  const assets = copyAssets(target);
  writeFileSync(
    join(target, BUILD_MANIFEST),
    `${JSON.stringify({ description: BUILD_DESCRIPTION, private: true, type: 'module' }, null, 2)}\n`,
  );
  return { outDir: target, entryPoints: buildEntryPoints().map((file) => file.replace(/\.ts$/, '.js')), assets };
}

function prepareOutDir(target: string): void {
  if (existsSync(target) && readdirSync(target).length > 0) {
    const manifest = join(target, BUILD_MANIFEST);
    const earlierBuild = existsSync(manifest) && readFileSync(manifest, 'utf8').includes(BUILD_DESCRIPTION);
    if (!earlierBuild) throw new Error(`${target} is not empty and holds no earlier build: choose another directory`);
    rmSync(target, { recursive: true, force: true });
  }
  mkdirSync(target, { recursive: true });
}

/** `new URL('<relative path>', import.meta.url)` in compiled code, for anything but a module. */
const ASSET_REFERENCE = /new URL\('(\.{1,2}\/[^']+)', import\.meta\.url\)/g;

/** Copies each file the compiled modules reference through import.meta.url from the sources. */
function copyAssets(target: string): BuildAsset[] {
  const assets = new Map<string, BuildAsset>();
  for (const module of javaScriptFiles(target)) {
    const text = readFileSync(join(target, module), 'utf8');
    for (const [, reference] of text.matchAll(ASSET_REFERENCE)) {
      if (reference === undefined || reference.endsWith('.js')) continue;
      const path = relative(target, resolve(target, dirname(module), reference));
      const source = join(REPOSITORY_ROOT, path);
      if (path.startsWith('..')) throw new Error(`${module} reads ${reference}, outside the build`);
      if (!existsSync(source)) throw new Error(`${module} reads ${reference}, but ${path} does not exist`);
      mkdirSync(dirname(join(target, path)), { recursive: true });
      copyFileSync(source, join(target, path));
      assets.set(path, { path, source });
    }
  }
  return [...assets.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** Every .js file under `dir`, as paths relative to it. */
export function javaScriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js') && !entry.parentPath.includes('node_modules'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}
