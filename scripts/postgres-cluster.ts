import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

/**
 * PostgreSQL servers of our own on loopback, from the machine's PostgreSQL binaries (Debian's
 * /usr/lib/postgresql/<version>/bin): a throw-away primary (initdb, trust auth, replication
 * allowed) and streaming replicas of it (pg_basebackup -R). For tests and `npm run cluster`;
 * the machine's own server is never touched. PostgreSQL refuses to run as root, so as root the
 * binaries run as the `postgres` user (runuser), which then owns the data directories.
 */

const run = promisify(execFile);

export interface LocalPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (fast shutdown) and removes its files. */
  stop(): Promise<void>;
}

/** The newest version's bin directory under /usr/lib/postgresql, or undefined without one. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter(
      (version) => existsSync(join(root, version, 'bin', 'pg_ctl')) && existsSync(join(root, version, 'bin', 'pg_basebackup')),
    )
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** Starts a fresh primary; `settings` are extra server settings (`shared_preload_libraries`, ...). */
export async function startLocalPostgres(options: { settings?: Record<string, string> } = {}): Promise<LocalPostgres> {
  const home = ownedTempDir('chitlaq-pg-primary-');
  const dataDir = join(home, 'data');
  try {
    await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    return await startServer(home, dataDir, options.settings ?? {});
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
}

/** Starts a hot-standby streaming replica of `primary` (a base backup, then WAL streaming). */
export async function startStreamingReplica(primary: LocalPostgres): Promise<LocalPostgres> {
  const home = ownedTempDir('chitlaq-pg-replica-');
  const dataDir = join(home, 'data');
  try {
    // -R writes standby.signal and primary_conninfo: the copy starts as a replica of `primary`.
    // -c fast: the backup's checkpoint at once; the default spreads it, which after a bulk write
    // (CREATE DATABASE) takes minutes.
    await asPostgres('pg_basebackup', [
      '-c',
      'fast',
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      dataDir,
      '-R',
      '-X',
      'stream',
    ]);
    return await startServer(home, dataDir, { hot_standby: 'on' });
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
}

/** Resolves once `replica` has replayed everything `primary` had written when this was called. */
export async function waitForReplay(primary: LocalPostgres, replica: LocalPostgres, timeoutMs = 10_000): Promise<void> {
  const lsn = await query<{ lsn: string }>(primary.url, 'select pg_current_wal_lsn()::text as lsn');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { caught } = await query<{ caught: boolean }>(replica.url, 'select pg_last_wal_replay_lsn() >= $1::pg_lsn as caught', [
      lsn.lsn,
    ]);
    if (caught) return;
    if (Date.now() > deadline)
      throw new Error(`replica on port ${replica.port} did not replay up to ${lsn.lsn} within ${timeoutMs} ms`);
    // WAL replay raises no event a client can wait on; polling is what pg's own tools do.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startServer(home: string, dataDir: string, settings: Record<string, string>): Promise<LocalPostgres> {
  const port = await freePort();
  const options = [`-p ${port}`, `-k ${home}`, "-c listen_addresses='127.0.0.1'", '-c fsync=off'];
  for (const [name, value] of Object.entries(settings)) options.push(`-c ${name}='${value}'`);
  await asPostgres('pg_ctl', ['-D', dataDir, '-l', join(home, 'server.log'), '-w', '-t', '30', '-o', options.join(' '), 'start']);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await asPostgres('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function asPostgres(binary: string, args: string[]): Promise<void> {
  const bin = postgresBinDir();
  if (bin === undefined)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const command = join(bin, binary);
  const asRoot = process.getuid?.() === 0;
  try {
    await (asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args));
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${binary} failed: ${stderr?.trim() || (error as Error).message}`);
  }
}

/** A temporary directory the server's user owns (postgres, when we are root). */
function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  return dir;
}

function postgresUser(): { uid: number; gid: number } {
  // From the passwd database through `id`: Node has no getpwnam.
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows[0] as T;
  } finally {
    await client.end();
  }
}
