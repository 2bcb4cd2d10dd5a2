/**
 * Errors thrown by HTTP and broker clients (axios under node-vault, @kubernetes/client-node,
 * kafkajs, @slack/web-api) carry the request that failed: its configuration, headers (the Vault
 * token in `X-Vault-Token`, a bearer token in `Authorization`), its body (a ServiceAccount JWT in a
 * Vault login, a SASL password) and socket objects. Printed as they are, by Node's uncaught-error
 * handler, `util.inspect` or a logger, they print the secrets. `safeError` rebuilds any of them
 * from the few fields that say what went wrong and nothing else.
 */

/** How many causes deep the chain is kept: enough for fetch -> system error, kafkajs retries -> connection error. */
const MAX_CAUSE_DEPTH = 4;

/** Longest message kept: client messages that run longer are quoting a body or headers. */
const MAX_MESSAGE_CHARS = 300;

/**
 * A client error with only its class name, code, HTTP status, retriable flag, a message with URLs
 * stripped of credentials and query strings, and a cause chain rebuilt the same way. Its stack is
 * one line: the frames of a client library's internals say nothing an operator can act on.
 */
export class SafeError extends Error {
  /** The stable code of the original (`ECONNREFUSED`, `slack_webapi_platform_error`, a Kafka error name...). */
  readonly code: string | undefined;
  /** The HTTP status the server answered with, when there was an answer. */
  readonly status: number | undefined;
  /** Whether trying again may help: the original's own flag, or derived from its code and status. */
  readonly retriable: boolean;

  constructor(name: string, message: string, fields: { code?: string; status?: number; retriable: boolean; cause?: SafeError }) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = name;
    this.code = fields.code;
    this.status = fields.status;
    this.retriable = fields.retriable;
    this.stack = `${name}: ${message}`;
  }

  /** The JSON a logger writes: the same fields, nothing else. */
  toJSON(): Record<string, unknown> {
    return {
      type: this.name, message: this.message,
      ...(this.code !== undefined ? { code: this.code } : {}),
      ...(this.status !== undefined ? { status: this.status } : {}),
      retriable: this.retriable,
      ...(this.cause instanceof SafeError ? { cause: this.cause.toJSON() } : {}),
    };
  }
}

/** Socket error codes after which the same request may succeed later. */
const RETRIABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE',
  'ECONNABORTED', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_SOCKET',
]);

/**
 * Rebuilds `error` (anything thrown) without headers, bodies, request configurations or sockets.
 * A `SafeError` is returned as it is; anything that is not an object becomes a message.
 */
export function safeError(error: unknown, depth = 0): SafeError {
  if (error instanceof SafeError) return error;
  if (typeof error !== 'object' || error === null) return new SafeError('Error', scrubMessage(String(error)), { retriable: false });
  const name = constructorName(error);
  const message = scrubMessage(typeof read(error, 'message') === 'string' ? (read(error, 'message') as string) : '');
  const code = stringCode(error);
  const status = statusOf(error);
  const next = depth < MAX_CAUSE_DEPTH ? causeOf(error) : undefined;
  const cause = next === undefined ? undefined : safeError(next, depth + 1);
  const own = read(error, 'retriable');
  const retriable = typeof own === 'boolean'
    ? own
    : (code !== undefined && RETRIABLE_CODES.has(code)) || (status !== undefined && (status === 429 || status >= 500)) || (cause?.retriable ?? false);
  return new SafeError(name, message, {
    retriable,
    ...(code !== undefined ? { code } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * One line for a person: `Name: message (code, HTTP status)` and each cause after a colon.
 * What the CLI prints for an error it did not expect, and what readiness reports.
 */
export function describeSafely(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = safeError(error), depth = 0; current instanceof SafeError && depth <= MAX_CAUSE_DEPTH; current = current.cause, depth++) {
    // The engine's own kebab-case codes (`action-server`) add nothing to the message they came with.
    const code = current.code !== undefined && /^[a-z]+(?:-[a-z]+)+$/.test(current.code) ? undefined : current.code;
    const details = [code, current.status === undefined ? undefined : `HTTP ${current.status}`].filter((d) => d !== undefined && d !== '');
    const text = current.message === '' ? current.name : current.message;
    const line = `${text}${details.length > 0 && !details.every((d) => text.includes(String(d))) ? ` (${details.join(', ')})` : ''}`;
    if (!parts.some((p) => p.includes(text))) parts.push(line);
  }
  return parts.join(': ');
}

/**
 * A message without what clients put in it by accident: URL user-info and query strings (signed
 * URLs, `?token=`), and anything past a length no real error message needs (quoted bodies).
 * Newlines become spaces so a message stays one log line.
 */
export function scrubMessage(message: string): string {
  const cleaned = withoutCredentials(message).replace(/[\r\n\t]+/g, ' ').trim();
  return cleaned.length > MAX_MESSAGE_CHARS ? `${cleaned.slice(0, MAX_MESSAGE_CHARS)}...` : cleaned;
}

/**
 * Text without URL user-info (`https://user:pass@host`), URL query strings and fragments, or the
 * value of an `Authorization: Bearer|Basic` credential; line breaks and length are left alone.
 */
export function withoutCredentials(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1')
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s?#]*)[?#][^\s]*/gi, '$1')
    .replace(/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, '$1 [REDACTED]');
}

function constructorName(error: object): string {
  const name = read(error, 'name');
  if (typeof name === 'string' && /^[\w.$-]{1,60}$/.test(name) && name !== 'Error') return name;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' && /^[\w$]{1,60}$/.test(ctor) && ctor !== 'Object' ? ctor : 'Error';
}

function stringCode(error: object): string | undefined {
  const code = read(error, 'code');
  if (typeof code === 'string' && /^[\w.-]{1,60}$/.test(code)) return code;
  // kafkajs names its error kind in `type` (`UNKNOWN_TOPIC_OR_PARTITION`).
  const type = read(error, 'type');
  return typeof type === 'string' && /^[A-Z_]{1,60}$/.test(type) ? type : undefined;
}

/** The HTTP status wherever each client keeps it. */
function statusOf(error: object): number | undefined {
  const response = read(error, 'response');
  const candidates = [read(error, 'status'), read(error, 'statusCode'), read(response, 'status'), read(response, 'statusCode')];
  // @kubernetes/client-node's ApiException keeps the status in `code`, beside a `body`.
  if ('body' in error) candidates.push(read(error, 'code'));
  return candidates.find((c): c is number => typeof c === 'number' && Number.isInteger(c) && c >= 100 && c <= 599);
}

/** The wrapped error: `cause` (standard, kafkajs), `original` (Slack), `originalError` (older kafkajs). */
function causeOf(error: object): unknown {
  for (const key of ['cause', 'original', 'originalError']) {
    const value = read(error, key);
    if (typeof value === 'object' && value !== null) return value;
  }
  return undefined;
}

function read(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    // A getter on a client's error object may throw; what it hides is not needed.
    return undefined;
  }
}
