import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A throw-away PostgreSQL database on the server at DATABASE_URL, so test and benchmark runs never collide
 * with each other or with a developer's data. Dropped (with its connections) by `drop()`.
 * `template`: a copy of that database (which nobody may be connected to) instead of an empty one.
 */
export async function createScratchDatabase(
  serverUrl: string,
  options: { template?: string } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `chitlaq_scratch_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const template = options.template === undefined ? '' : ` template "${options.template}"`;
  await withClient(serverUrl, (client) => client.query(`create database "${name}"${template}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withClient(serverUrl, (client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/** Runs `run` on a client of its own connected to `url`, and closes it whatever happens. */
export async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
