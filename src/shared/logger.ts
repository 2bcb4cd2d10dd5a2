import { pino, type Logger, type DestinationStream } from 'pino';
import { safeError } from './safe-error.js';
import { Secret } from './secret.js';

export type { Logger } from 'pino';

const REDACTED = '[REDACTED]';

/**
 * Keys whose values never reach a log line, at any depth and in any case: credentials in headers
 * (`Authorization`, `X-Vault-Token`, `Cookie`), and anything named like a token, JWT, password,
 * secret or key. Secrets are also typed (see secret.ts); this catches the ones that arrive as
 * plain strings from outside (headers, client errors, request configurations). Matched on how a key
 * ends (`botToken`, `X-Vault-Token`, `signingSecret`) so `secretPath` or `tokenCount` stay readable.
 */
export const SECRET_KEY = /(?:authorization|cookie|token|jwt|passw(?:or)?d|secret|api[-_]?key|private[-_]?key|credentials?)s?$|^sasl$/i;

/** How deep and how wide a logged object is walked; past that the rest is summarised, not printed. */
const MAX_DEPTH = 8;
const MAX_KEYS = 200;

/**
 * A copy of `value` fit for a log line: values under secret-looking keys replaced, errors rebuilt
 * by {@link safeError} (no request, headers or body), `Secret`s redacted, cycles cut, and depth and
 * width bounded so a hostile or huge object cannot make a log line expensive.
 */
export function redactForLog(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (value instanceof Secret) return REDACTED;
  if (value instanceof Error) return safeError(value).toJSON();
  if (typeof value !== 'object' || value === null) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_KEYS).map((item) => redactForLog(item, depth + 1, seen));
      return value.length > MAX_KEYS ? [...items, `[${value.length - MAX_KEYS} more]`] : items;
    }
    if (value instanceof Map) return redactForLog(Object.fromEntries(value), depth, seen);
    if (value instanceof Date) return value;
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const key of Object.keys(value)) {
      if (count++ >= MAX_KEYS) {
        out['...'] = 'more keys not logged';
        break;
      }
      out[key] = SECRET_KEY.test(key) ? REDACTED : redactForLog((value as Record<string, unknown>)[key], depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export interface LoggerOptions {
  readonly level?: string;
  readonly destination?: DestinationStream;
}

/** Structured JSON logs with secrets redacted at any depth and errors stripped of their requests. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { service: 'meshwarden' },
    formatters: { log: (object: Record<string, unknown>) => redactForLog(object) as Record<string, unknown> },
    // The walk above already rebuilt errors; pino's own error serializer must not put back a stack.
    serializers: { err: (err: unknown) => err },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings, pino.destination(2));
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
