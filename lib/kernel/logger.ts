import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * One pino logger per process. Secrets are redacted at the source so that no call site can
 * leak them by accident: passwords, tokens and authorization headers never reach a log line.
 */
export function createLogger(options: {
  level: string;
  pretty: boolean;
  name?: string;
  /** Where lines go: stdout unless a tool keeps stdout for its own output (file descriptor 2). */
  destination?: 1 | 2;
}): Logger {
  const destination = options.destination ?? 1;
  const pinoOptions = {
    level: options.level,
    ...(options.name === undefined ? {} : { name: options.name }),
    redact: {
      paths: [
        'password',
        '*.password',
        '*.*.password',
        'token',
        '*.token',
        'passwordHash',
        '*.passwordHash',
        'req.headers.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
    ...(options.pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname', destination } } }
      : {}),
  };
  return options.pretty || destination === 1
    ? pino(pinoOptions)
    : pino(pinoOptions, pino.destination({ dest: destination, sync: true }));
}
