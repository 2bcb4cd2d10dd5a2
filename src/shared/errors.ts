import { withoutCredentials } from './safe-error.js';

/**
 * Error classes with a stable `code`, a `retriable` flag and a `cause`. Retry policy reads
 * `retriable` (see retry.ts); nothing else inspects messages.
 */
export interface MeshwardenErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/** Base class of every error the engine raises on purpose. */
export class MeshwardenError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: MeshwardenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** One problem found in a configuration file, with its position. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  readonly line: number;
  readonly col: number;
  /** Dotted path to the offending value, e.g. `spec.steps[1].action`. */
  readonly path: string;
  readonly message: string;
  /** The check that found it, stable for CI annotations (a SARIF ruleId); absent: the file's schema. */
  readonly rule?: ConfigRule;
}

/** The checks `meshwarden check` runs, each a stable id. */
export type ConfigRule = 'schema' | 'unknown-reference' | 'duplicate-name' | 'never-fires' | 'protected-target';

/** Raised when detector or playbook files are invalid; carries every problem, not only the first. */
export class ConfigError extends MeshwardenError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super('config-invalid', `${problems.length} configuration problem(s):\n${problems.map(formatProblem).join('\n')}`);
    this.problems = problems;
  }
}

/** `file:line:col message`, the form editors and CI annotate. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.file}:${problem.line}:${problem.col} ${problem.message}`;
}

/** Why an action failed; also labels the action metrics. */
export type FailureReason = 'auth' | 'rate-limited' | 'client' | 'server' | 'timeout' | 'conflict' | 'refused';

/** An action could not be carried out. */
export class ActionError extends MeshwardenError {
  readonly reason: FailureReason;

  constructor(reason: FailureReason, message: string, options: MeshwardenErrorOptions = {}) {
    super(`action-${reason}`, message, {
      retriable: options.retriable ?? (reason === 'rate-limited' || reason === 'server' || reason === 'timeout'),
      cause: options.cause,
    });
    this.reason = reason;
  }
}

/** The audit ledger failed verification or could not be written. */
export class LedgerError extends MeshwardenError {}

/**
 * Turns anything thrown into a message safe to log: no stack, no payloads, URLs without their
 * credentials or query strings (see safe-error.ts for errors that carry whole requests).
 */
export function describeError(error: unknown): string {
  return withoutCredentials(error instanceof Error ? error.message : String(error));
}
