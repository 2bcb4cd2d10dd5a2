import type { ActionDefinition, ActionTarget } from '../actions/action-definition.js';
import type { PlaybookSpec } from './playbook-spec.js';
import type { PlaybookRun } from './run-store.js';
import type { GuardRequest } from './safety-guard.js';

/** What the policy said about one step, as the ledger, the run and the report keep it. */
export interface StepPolicyRecord {
  /** `fail-open`: the policy could not be asked and the playbook lets the step run anyway. */
  readonly decision: 'allow' | 'deny' | 'fail-open' | 'fail-closed';
  /** The policy's own reasons (operator-written, capped), or why it could not be asked. */
  readonly reasons: readonly string[];
  /** True when the decision came from the cache (the same input was decided moments before). */
  readonly cached?: boolean;
}

/** One step about to run (or be described, in a dry run), as the policy gate is asked about it. */
export interface StepPolicyQuestion {
  readonly run: PlaybookRun;
  readonly playbook: PlaybookSpec;
  readonly index: number;
  readonly stepName: string;
  readonly action: ActionDefinition;
  readonly params: Readonly<Record<string, unknown>>;
  readonly target: ActionTarget;
  /** The question the safety guard was asked: the rails' state is read for it. */
  readonly request: GuardRequest;
  /** Epoch ms: wall time live, event time in a dry run. */
  readonly now: number;
}

/** The gate's answer; `reason` is the refusal's one-line description. */
export type StepPolicyVerdict =
  | { readonly allowed: true; readonly record: StepPolicyRecord }
  | { readonly allowed: false; readonly reason: string; readonly record: StepPolicyRecord };

/**
 * The policy gate as the run executor sees it (src/policy/policy-gate.ts implements it). `ask`
 * never throws: whatever goes wrong is a verdict. Undefined: the step is not asked about.
 */
export interface StepPolicy {
  ask(question: StepPolicyQuestion): Promise<StepPolicyVerdict | undefined>;
}
