import type { Logger } from '../kernel/logger.js';
import type { Database, ExecutedQuery } from './db/database.js';

/** Enough of a statement to recognise it; its parameters (user data) are never logged. */
const MAX_LOGGED_SQL = 500;

/**
 * Logs a warning for each statement of one service (those `owns` recognises) that took
 * `thresholdMs` or longer (SLOW_QUERY_MS), with its SQL text and duration; written while the
 * request that ran it is handled, the line carries that request's id. Returns the function that stops it.
 */
export function warnOnSlowStatements(
  database: Database,
  owns: (query: ExecutedQuery['query']) => boolean,
  logger: Logger,
  thresholdMs: number,
): () => void {
  return database.onQuery((executed) => {
    if (executed.durationMs < thresholdMs || !owns(executed.query)) return;
    logger.warn(
      {
        durationMs: Math.round(executed.durationMs * 100) / 100,
        sql: executed.query.sql.slice(0, MAX_LOGGED_SQL),
        failed: executed.failed,
      },
      'slow SQL statement',
    );
  });
}
