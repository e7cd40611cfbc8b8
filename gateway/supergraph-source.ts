import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../lib/kernel/logger.js';

/** Where the gateway reads its supergraph: a file (watched), or a URL (polled, e.g. a schema registry). */
export type SupergraphSource = { readonly file: string } | { readonly url: string; readonly pollIntervalMs: number };

/** A file event is followed by others while the writer is still at it: read once they stop. */
const SETTLE_MS = 100;
/** How long one poll of SUPERGRAPH_URL may take. */
const FETCH_TIMEOUT_MS = 10_000;

/** The supergraph's text now (start-up): throws when it cannot be read. */
export async function readSupergraph(source: SupergraphSource): Promise<string> {
  if ('file' in source) return readFileSync(source.file, 'utf8');
  const response = await fetch(source.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${source.url} answered HTTP ${response.status}`);
  return response.text();
}

/** A watch over a supergraph source: each text read goes to `onText`, which decides whether it is new. */
export interface SupergraphWatch {
  /** Reads the source now (SIGHUP, tests); settles once the text went to `onText` or the read failed (logged). */
  check(): Promise<void>;
  close(): void;
}

/**
 * Reads `source` again whenever it may have changed: a file on every change event of its
 * directory that names it (editors and `npm run compose` replace or rewrite it), a URL every
 * `pollIntervalMs`, with `If-None-Match` so an unchanged supergraph costs a 304. With `watch`
 * off, only `check()` reads it. A read that fails is logged, and the gateway keeps serving.
 */
export function watchSupergraph(
  source: SupergraphSource,
  options: { watch: boolean; logger: Logger; onText: (sdl: string) => void },
): SupergraphWatch {
  const { logger } = options;
  let etag: string | undefined;
  let closed = false;
  const read = async (): Promise<string | undefined> => {
    if ('file' in source) return readFile(source.file, 'utf8');
    const response = await fetch(source.url, {
      headers: etag === undefined ? {} : { 'if-none-match': etag },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (response.status === 304) return undefined;
    if (!response.ok) throw new Error(`${source.url} answered HTTP ${response.status}`);
    const text = await response.text();
    etag = response.headers.get('etag') ?? undefined;
    return text;
  };
  /** One read at a time; a change seen during a read makes one more after it. */
  let reading: Promise<void> | undefined;
  let again = false;
  const check = (): Promise<void> => {
    if (reading !== undefined) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        try {
          const text = await read();
          if (text !== undefined && !closed) options.onText(text);
        } catch (error) {
          logger.error({ err: error, source: describe(source) }, 'could not read the supergraph; serving the current one');
        }
      } while (again && !closed);
      reading = undefined;
    })();
    return reading;
  };

  let watcher: FSWatcher | undefined;
  let settle: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  if (options.watch) {
    if ('file' in source) {
      const name = basename(source.file);
      watcher = watch(dirname(source.file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(settle);
        settle = setTimeout(() => void check(), SETTLE_MS);
      });
      watcher.on('error', (error) => logger.warn({ err: error }, 'stopped watching the supergraph file'));
      watcher.unref();
    } else {
      poll = setInterval(() => void check(), source.pollIntervalMs);
      poll.unref();
    }
  }
  return {
    check,
    close() {
      closed = true;
      watcher?.close();
      clearTimeout(settle);
      clearInterval(poll);
    },
  };
}

function describe(source: SupergraphSource): string {
  return 'file' in source ? source.file : source.url;
}
