/**
 * `npm run db:report [-- --limit N]`: the slowest statements of the database at DATABASE_URL
 * (pg_stat_statements; how to enable it when it is not) and the platform's unused indexes.
 * Read-only; DATABASE_READ_URL is not consulted (each server keeps statistics of its own: point
 * DATABASE_URL at the replica to see its reads).
 */

import pg from 'pg';
import { databaseReport, formatReport } from '../lib/infra/db/report.js';
import { exitOnStartupError } from '../lib/infra/shutdown.js';
import { loadConfig } from '../lib/kernel/config.js';

const USAGE = 'usage: npm run db:report [-- --limit N]   (N: statements to list, 1-1000, default 10)';

function limitFrom(args: readonly string[]): number {
  if (args.length === 0) return 10;
  const [flag, value] = args;
  const limit = Number(value);
  if (flag !== '--limit' || args.length !== 2 || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(USAGE);
  return limit;
}

async function main(): Promise<void> {
  const limit = limitFrom(process.argv.slice(2));
  const config = loadConfig();
  if (config.database.url === undefined) {
    throw new Error('DATABASE_URL: required by db:report (the embedded database has no pg_stat_statements)');
  }
  const client = new pg.Client({ connectionString: config.database.url, application_name: 'chitlaq-db-report' });
  await client.connect();
  try {
    process.stdout.write(formatReport(await databaseReport(client, { limit })));
  } finally {
    await client.end();
  }
}

main().catch(exitOnStartupError);
