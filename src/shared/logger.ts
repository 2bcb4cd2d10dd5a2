import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Key paths whose values never reach a log line, wherever they appear in a logged object.
 * Secrets are also typed (see secret.ts); this catches the ones that arrive as plain strings
 * from outside (headers, client errors).
 */
export const REDACT_PATHS = [
  'token', '*.token', 'password', '*.password', 'secret', '*.secret', 'authorization', '*.authorization',
  'headers.authorization', '*.headers.authorization', 'headers["x-vault-token"]', '*.headers["x-vault-token"]',
  'signingSecret', '*.signingSecret', 'botToken', '*.botToken', 'appToken', '*.appToken',
];

export interface LoggerOptions {
  readonly level?: string;
  readonly destination?: DestinationStream;
}

/** Structured JSON logs with secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { service: 'meshwarden' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings, pino.destination(2));
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
