import { type DestinationStream, type Logger, pino } from 'pino';
import { currentRequestId } from './request-id.js';

export type { Logger };

/**
 * One pino logger per process, JSON lines. Secrets are redacted at the source so that no call
 * site can leak them by accident: passwords, tokens and authorization headers never reach a
 * log line. A line written while a request is handled carries its `requestId`
 * (lib/kernel/request-id.ts), whichever logger or child wrote it: the code that logs (a
 * loader, the error masker, a slow statement) need not be handed a logger per request.
 */
export function createLogger(options: {
  level: string;
  pretty: boolean;
  name?: string;
  /** Where lines go: stdout unless a tool keeps stdout for its own output (file descriptor 2). */
  destination?: 1 | 2;
  /** Writes lines here instead (tests read them); `pretty` and `destination` are ignored then. */
  stream?: DestinationStream;
}): Logger {
  const destination = options.destination ?? 1;
  const pinoOptions = {
    level: options.level,
    ...(options.name === undefined ? {} : { name: options.name }),
    mixin: requestIdMixin,
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
  if (options.stream !== undefined) return pino({ ...pinoOptions, transport: undefined }, options.stream);
  return options.pretty || destination === 1
    ? pino(pinoOptions)
    : pino(pinoOptions, pino.destination({ dest: destination, sync: true }));
}

/** pino assigns the line's own fields into what the mixin returns: a new object every time. */
function requestIdMixin(): object {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}
