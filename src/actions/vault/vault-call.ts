import type NodeVault from 'node-vault';
import type { z } from 'zod';
import { ActionError, type FailureReason } from '../../shared/errors.js';
import { describeZodIssues } from '../../shared/describe-issues.js';
import type { ActionContext } from '../action-context.js';

/**
 * The failure reason for an HTTP status Vault answered with. 400 is a client error except for a
 * failed check-and-set, which means someone else wrote first; 412 (a performance standby not yet
 * caught up) and 503 (sealed, standby) are worth retrying.
 */
export function reasonForVaultStatus(status: number, message: string): FailureReason {
  if (status === 400 && /check-and-set/i.test(message)) return 'conflict';
  if (status === 401 || status === 403) return 'auth';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate-limited';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 412 || status >= 500) return 'server';
  return 'client';
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/**
 * Turns whatever a node-vault call threw into an `ActionError` naming the call (`what`) and Vault's
 * own error text. The original error is deliberately not kept as `cause`: node-vault's transport
 * (axios) attaches the request configuration, whose headers carry the Vault token, to its errors.
 */
export function vaultActionError(what: string, error: unknown): ActionError {
  if (error instanceof ActionError) return error;
  const response = property(error, 'response');
  const status = property(response, 'statusCode');
  if (typeof status === 'number') {
    const message = vaultMessage(property(response, 'body'));
    return new ActionError(reasonForVaultStatus(status, message ?? ''), `${what}: HTTP ${status}${message === undefined ? '' : ` ${message}`}`);
  }
  const code = property(error, 'code');
  if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) {
    const reason: FailureReason = TIMEOUT_CODES.has(code) ? 'timeout' : 'server';
    return new ActionError(reason, `${what}: Vault could not be reached (${code})`);
  }
  return new ActionError('server', `${what}: ${error instanceof Error ? error.name : 'unknown'} error`);
}

/** Vault's error text: its `errors` list joined, with the "N errors occurred" wrapping removed. */
export function vaultMessage(body: unknown): string | undefined {
  const errors = property(body, 'errors');
  if (!Array.isArray(errors)) return undefined;
  const texts = errors
    .filter((item): item is string => typeof item === 'string')
    .map((text) => text.replace(/^\d+ errors? occurred:\s*/, '').replace(/\s*\*\s*/g, ' ').trim())
    .filter((text) => text !== '');
  return texts.length === 0 ? undefined : texts.join('; ');
}

/** The injected Vault client, or the `client` failure that says the engine runs without one. */
export function vaultClient(ctx: ActionContext, action: string): NodeVault.client {
  const vault = ctx.deps.vault;
  if (vault === undefined) throw new ActionError('client', `${action} needs a Vault client; the engine runs without Vault access`);
  if (ctx.signal.aborted) throw new ActionError('timeout', `${action} was cancelled before it ran`);
  return vault;
}

/**
 * Runs one Vault call, abandoning it when the run's signal aborts (node-vault cannot cancel a
 * request), and checks the response against `schema`: node-vault types every response as `any`.
 */
export async function vaultCall<S extends z.ZodType>(
  ctx: ActionContext,
  what: string,
  schema: S,
  request: () => Promise<unknown>,
): Promise<z.output<S>> {
  const response = await send(ctx, what, request, false);
  return checked(what, schema, response);
}

/** Like {@link vaultCall}, but a 404 answers `undefined`. */
export async function vaultCallOrAbsent<S extends z.ZodType>(
  ctx: ActionContext,
  what: string,
  schema: S,
  request: () => Promise<unknown>,
): Promise<z.output<S> | undefined> {
  const response = await send(ctx, what, request, true);
  return response === ABSENT ? undefined : checked(what, schema, response);
}

const ABSENT = Symbol('absent');

async function send(ctx: ActionContext, what: string, request: () => Promise<unknown>, absentAllowed: boolean): Promise<unknown> {
  try {
    return await abortable(request(), ctx.signal, what);
  } catch (error) {
    if (absentAllowed && property(property(error, 'response'), 'statusCode') === 404) return ABSENT;
    throw vaultActionError(what, error);
  }
}

function checked<S extends z.ZodType>(what: string, schema: S, response: unknown): z.output<S> {
  const parsed = schema.safeParse(response);
  if (!parsed.success) {
    // Issue paths and messages only: the response may hold secret values.
    throw new ActionError('server', `${what}: unexpected response from Vault (${describeZodIssues(parsed.error)})`);
  }
  return parsed.data;
}

/** A Vault path from segments, each percent-encoded (parameters may hold spaces after templating). */
export function vaultPath(...segments: readonly string[]): string {
  return segments
    .flatMap((segment) => segment.split('/'))
    .filter((part) => part !== '')
    .map(encodeURIComponent)
    .join('/');
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelled(what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(cancelled(what));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function cancelled(what: string): ActionError {
  return new ActionError('timeout', `${what}: cancelled (the step timed out or the engine is stopping)`);
}

function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
