import { ActionError, type FailureReason } from '../../shared/errors.js';
import { safeError } from '../../shared/safe-error.js';

/** Slack API errors that mean the token or its scopes are wrong: retrying cannot help. */
const AUTH_ERRORS = new Set([
  'not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission',
  'missing_scope', 'not_allowed_token_type', 'ekm_access_denied', 'team_access_not_granted',
]);
const RATE_ERRORS = new Set(['ratelimited', 'rate_limited', 'message_limit_exceeded']);
const SERVER_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Runs one Slack Web API call and turns whatever the WebClient throws into an `ActionError` with
 * the reason the retry policy and the metrics read. The message names the method and Slack's error
 * code only: never the request, whose headers carry the bot token.
 */
export async function callSlack<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toActionError(method, error);
  }
}

/** The reason and a safe message for an error thrown by a WebClient call. */
export function toActionError(method: string, error: unknown): ActionError {
  if (error instanceof ActionError) return error;
  const code = readString(error, 'code');
  if (code === 'slack_webapi_platform_error') {
    const slackError = readString(readProperty(error, 'data'), 'error') ?? 'unknown_error';
    return new ActionError(platformReason(slackError), `Slack ${method} failed: ${slackError}`);
  }
  if (code === 'slack_webapi_rate_limited_error') {
    const retryAfter = readProperty(error, 'retryAfter');
    const after = typeof retryAfter === 'number' ? ` (retry after ${retryAfter}s)` : '';
    return new ActionError('rate-limited', `Slack ${method} was rate limited${after}`);
  }
  if (code === 'slack_webapi_http_error') {
    const status = readProperty(error, 'statusCode');
    const reason: FailureReason =
      status === 429 ? 'rate-limited' : typeof status === 'number' && status >= 500 ? 'server' : status === 401 || status === 403 ? 'auth' : 'client';
    return new ActionError(reason, `Slack ${method} failed: HTTP ${typeof status === 'number' ? status : 'error'}`);
  }
  if (code === 'slack_webapi_request_error') {
    // The original is a network error (refused, reset, DNS, abort); its message holds no request data.
    const original = readProperty(error, 'original');
    const detail = original instanceof Error ? safeError(original).message : 'request failed';
    const aborted = original instanceof Error && (original.name === 'AbortError' || original.name === 'TimeoutError');
    return new ActionError(aborted ? 'timeout' : 'server', `Slack ${method} could not be reached: ${detail}`);
  }
  return new ActionError('server', `Slack ${method} failed: ${error instanceof Error ? safeError(error).message : 'unknown error'}`);
}

function platformReason(slackError: string): FailureReason {
  if (AUTH_ERRORS.has(slackError)) return 'auth';
  if (RATE_ERRORS.has(slackError)) return 'rate-limited';
  if (SERVER_ERRORS.has(slackError)) return 'server';
  return 'client';
}

function readProperty(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function readString(value: unknown, key: string): string | undefined {
  const property = readProperty(value, key);
  return typeof property === 'string' ? property : undefined;
}
