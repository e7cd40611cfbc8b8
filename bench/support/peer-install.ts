import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The peer gateways (Apollo Server, Hive Gateway) are a package of their own, bench/peers, with
 * its own package.json and lock: they weigh more than the whole platform (@opentelemetry,
 * @graphql-mesh, a React lab UI), and only `npm run bench` needs them. The bench installs them
 * into bench/peers/node_modules on first use, and again when the lock changes.
 */
export const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));

interface LockEntry {
  readonly version?: string;
  readonly optional?: boolean;
}

function lockPackages(file: string): Record<string, LockEntry> {
  return (JSON.parse(readFileSync(file, 'utf8')) as { packages: Record<string, LockEntry> }).packages;
}

/**
 * Why bench/peers needs `npm ci`, or null when its node_modules holds what its lock pins: npm
 * records what it installed in node_modules/.package-lock.json, so every locked package
 * (optional ones may be absent: another platform's binaries) must be there at the locked version.
 */
export function peersInstallReason(): string | null {
  const installedFile = join(PEERS_DIR, 'node_modules', '.package-lock.json');
  if (!existsSync(installedFile)) return 'bench/peers/node_modules is not installed yet (first run)';
  const installed = lockPackages(installedFile);
  for (const [path, entry] of Object.entries(lockPackages(join(PEERS_DIR, 'package-lock.json')))) {
    if (path === '') continue;
    const have = installed[path];
    if (have === undefined) {
      if (entry.optional === true) continue;
      return `bench/peers/${path} is missing`;
    }
    if (have.version !== entry.version)
      return `bench/peers/${path} is ${have.version}, bench/peers/package-lock.json pins ${entry.version}`;
  }
  return null;
}

/** `npm ci` in bench/peers, through the npm that runs this script when there is one. */
function npmCi(): Promise<void> {
  const args = ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'];
  const npmCli = process.env.npm_execpath;
  const [command, commandArgs] = npmCli ? [process.execPath, [npmCli, ...args]] : ['npm', args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `installing the peers failed (npm ci exited ${code ?? signal}): run \`npm ci --prefix bench/peers\` yourself, or pass --no-peers`,
            ),
          ),
    );
  });
}

/** Installs bench/peers when it is missing or stale, saying why; silent when it is up to date. */
export async function ensurePeersInstalled(log: (line: string) => void): Promise<void> {
  const reason = peersInstallReason();
  if (reason === null) return;
  const where = relative(process.cwd(), PEERS_DIR) || '.';
  log(`${reason}: installing the peer gateways with \`npm ci --prefix ${where}\` (once; --no-peers skips them) ...`);
  const started = performance.now();
  await npmCi();
  log(`peers installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** Resolves `specifier` as bench/peers does: from bench/peers/node_modules, not the platform's. */
export function resolvePeerModule(specifier: string): string {
  return createRequire(join(PEERS_DIR, 'package.json')).resolve(specifier);
}
