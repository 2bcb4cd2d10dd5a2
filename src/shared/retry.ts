import { MeshwardenError } from './errors.js';
import type { Logger } from './logger.js';
import { describeSafely, safeError } from './safe-error.js';

/** How a backend is retried: exponential backoff with jitter, between a first and a longest delay. */
export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Attempts before giving up; `Infinity` keeps trying until the signal aborts. */
  readonly maxAttempts: number;
}

/**
 * Backends the service cannot work without (Kafka, a Vault login) are retried for as long as it
 * runs: an outage of the broker or of Vault is waited out, reported through readiness and the log,
 * not turned into a crash loop.
 */
export const BACKEND_RETRY: RetryPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, maxAttempts: Number.POSITIVE_INFINITY };

/** What one failed attempt was, for readiness and metrics. */
export interface FailedAttempt {
  readonly attempt: number;
  /** One sanitised line naming the cause. */
  readonly reason: string;
  /** When the next attempt starts, or undefined when there is none. */
  readonly retryInMs: number | undefined;
}

export interface RetryOptions {
  /** What is being attempted, as the log says it: `connecting to Kafka`. */
  readonly what: string;
  readonly logger: Logger;
  readonly policy?: RetryPolicy;
  /** Aborting stops the waiting and the retrying (SIGTERM during start-up). */
  readonly signal?: AbortSignal;
  readonly onFailure?: (failure: FailedAttempt) => void;
  /** Jitter source in [0, 1); injected so tests know the delays. */
  readonly random?: () => number;
}

/** The attempt was abandoned because the engine is stopping. */
export class RetryAbortedError extends MeshwardenError {
  constructor(what: string) {
    super('stopped', `${what}: abandoned, the engine is stopping`);
  }
}

/**
 * The one retry policy: runs `attempt` until it succeeds, retrying only errors whose `retriable`
 * flag is true (an error without the flag is rebuilt by `safeError`, which derives it from the
 * socket code or HTTP status). Each failure is logged as one sanitised line; a non-retriable error,
 * or the last attempt's, is thrown rebuilt without its request.
 */
export async function retryWithBackoff<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = options.policy ?? BACKEND_RETRY;
  const random = options.random ?? Math.random;
  for (let n = 1; ; n++) {
    if (isAborted(options.signal)) throw new RetryAbortedError(options.what);
    try {
      return await attempt(n);
    } catch (error) {
      if (isAborted(options.signal)) throw new RetryAbortedError(options.what);
      // Rebuilt once, without the request it may carry: the flag, the reason and the logs read it.
      const safe = safeError(error);
      const retriable = error instanceof MeshwardenError ? error.retriable : safe.retriable;
      const last = !retriable || n >= policy.maxAttempts;
      const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(n - 1, 30));
      // Half fixed, half random: replicas that lost the same broker do not come back in step.
      const delay = Math.round(base / 2 + (base / 2) * random());
      const reason = describeSafely(safe);
      options.onFailure?.({ attempt: n, reason, retryInMs: last ? undefined : delay });
      if (last) {
        options.logger.error({ attempt: n, retriable, err: safe }, `${options.what} failed: ${reason}`);
        throw error instanceof MeshwardenError ? error : safe;
      }
      options.logger.warn({ attempt: n, retryInMs: delay, err: safe }, `${options.what} failed (attempt ${n}), retrying in ${(delay / 1000).toFixed(1)} s: ${reason}`);
      await sleep(delay, options.signal);
    }
  }
}

/** A failed attempt as readiness reports it: `(attempt 2): reason`, or `(attempt 5, giving up): reason`. */
export function describeFailedAttempt(failure: FailedAttempt): string {
  return `(attempt ${failure.attempt}${failure.retryInMs === undefined ? ', giving up' : ''}): ${failure.reason}`;
}

/** Whether an error says trying again may help: its own `retriable` flag, else what its code says. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof MeshwardenError) return error.retriable;
  return safeError(error).retriable;
}

/** A function, not an inline read: the signal changes while the attempt is awaited. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
