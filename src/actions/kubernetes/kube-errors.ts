import { ActionError, type FailureReason } from '../../shared/errors.js';
import { safeError } from '../../shared/safe-error.js';

/**
 * The failure reason for an HTTP status the API server answered with. 401/403: the engine's
 * credential or its RBAC; 404/400/422: the request names something that is not there or is invalid;
 * 409: someone else changed the object, or it already exists; 429: API priority and fairness.
 */
export function reasonForKubeStatus(status: number): FailureReason {
  if (status === 401 || status === 403) return 'auth';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate-limited';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server';
  return 'client';
}

/** Network error codes that mean the request timed out rather than failed. */
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ESOCKETTIMEDOUT',
]);

/** The HTTP status carried by an error the Kubernetes client threw, when it carries one. */
export function kubeStatusOf(error: unknown): number | undefined {
  // Checked by shape, not `instanceof ApiException`, so that this module never loads the client
  // library (it is loaded lazily, only by live actions).
  const code = property(error, 'code');
  return typeof code === 'number' && 'body' in (error as object) ? code : undefined;
}

/**
 * Turns whatever a Kubernetes API call threw into an `ActionError` whose message names the call
 * (`what`) and the API server's own explanation (the `Status.message`), never a request body. Its
 * cause is the client's error rebuilt by `safeError`: the original holds the request and its
 * bearer token, and the response headers.
 */
export function kubeActionError(what: string, error: unknown, signal?: AbortSignal): ActionError {
  if (error instanceof ActionError) return error;
  if (signal?.aborted === true || isAbort(error)) {
    return new ActionError('timeout', `${what}: cancelled (the step timed out or the engine is stopping)`, { cause: safeError(error) });
  }
  const status = kubeStatusOf(error);
  if (status !== undefined) {
    const message = statusMessage(property(error, 'body'));
    return new ActionError(reasonForKubeStatus(status), `${what}: HTTP ${status}${message === undefined ? '' : ` ${message}`}`, { cause: safeError(error) });
  }
  const code = networkCode(error);
  if (code !== undefined) {
    const reason: FailureReason = TIMEOUT_CODES.has(code) ? 'timeout' : 'server';
    return new ActionError(reason, `${what}: the API server could not be reached (${code})`, { cause: safeError(error) });
  }
  const safe = safeError(error);
  return new ActionError('server', `${what}: ${safe.message === '' ? safe.name : safe.message}`, { cause: safe });
}

/** The `message` of a Kubernetes `Status` body, which the client hands over parsed or as JSON text. */
export function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  const message = property(parsed, 'message');
  return typeof message === 'string' && message !== '' ? message : undefined;
}

function isAbort(error: unknown): boolean {
  const name = property(error, 'name');
  return name === 'AbortError' || name === 'TimeoutError';
}

function networkCode(error: unknown): string | undefined {
  // fetch wraps socket errors: TypeError('fetch failed') with the system error as its cause.
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 4; current = property(current, 'cause'), depth++) {
    const code = property(current, 'code');
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  }
  return undefined;
}

function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
