import type { ActionDefinition, ActionTarget } from '../actions/action-definition.js';
import type { ObservedTarget } from '../actions/kubernetes/inspect-target.js';
import type { Anomaly } from '../detect/anomaly.js';
import type { PlaybookRun } from '../playbook/run-store.js';
import { changesSomething, type RailsState } from '../playbook/safety-guard.js';

/** Version of the input document; a policy can refuse inputs it was not written for. */
export const POLICY_INPUT_VERSION = 1;

/**
 * The input document the policy is asked about, one per step (`{"input": ...}` of OPA's Data API).
 * Only data: nothing here is ever interpreted by the engine, and the incident's strings (entity
 * names, labels, evidence details) are what the attacker partly wrote, so a policy must treat
 * them as such (see docs/policy.md).
 */
export interface PolicyInput {
  readonly version: typeof POLICY_INPUT_VERSION;
  /**
   * The time the step is decided at: wall time for a live run, the anomaly's event time in a
   * dry-run replay. Policies read the time here, never OPA's clock, so a replay decides as the
   * live run would have and tests can pick the day.
   */
  readonly time: { readonly now: string; readonly epochMs: number; readonly weekday: string; readonly hour: number };
  readonly dryRun: boolean;
  readonly playbook: { readonly name: string; readonly vars: Readonly<Record<string, unknown>> };
  readonly step: {
    readonly index: number;
    readonly name: string;
    readonly action: string;
    readonly destructive: boolean;
    /** Every action but Slack's changes something (see safety-guard.ts `changesSomething`). */
    readonly changesSomething: boolean;
  };
  /** The step's parameters with templates filled and validated. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly target: {
    readonly kind: string;
    readonly namespace?: string;
    readonly name: string;
    /** As read from the cluster just now; null when the engine has no cluster or the kind is not read. */
    readonly observed: ObservedTarget | null;
    /** Why the target could not be read, when it could not. */
    readonly readError?: string;
  };
  readonly incident: { readonly id: string; readonly anomaly: PolicyAnomaly };
  /** Approval steps decided so far in this run. */
  readonly approvals: readonly { readonly step: string; readonly outcome: string; readonly description: string; readonly at: string }[];
  readonly rails: RailsState;
}

/** The triggering anomaly with its evidence, times as ISO strings. */
export interface PolicyAnomaly extends Omit<Anomaly, 'windowStart' | 'windowEnd'> {
  readonly windowStart: string;
  readonly windowEnd: string;
}

/** What one policy question is built from. */
export interface PolicyQuestionFacts {
  readonly run: PlaybookRun;
  readonly vars: Readonly<Record<string, unknown>> | undefined;
  readonly index: number;
  readonly stepName: string;
  readonly action: ActionDefinition;
  readonly params: Readonly<Record<string, unknown>>;
  readonly target: ActionTarget;
  readonly observed: ObservedTarget | undefined;
  readonly readError?: string;
  readonly rails: RailsState;
  /** Epoch ms. */
  readonly now: number;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** Builds the input document of one step. Pure: the same facts always give the same document. */
export function policyInput(facts: PolicyQuestionFacts): PolicyInput {
  const { run, action, target } = facts;
  const date = new Date(facts.now);
  const anomaly = run.anomaly;
  return {
    version: POLICY_INPUT_VERSION,
    time: { now: date.toISOString(), epochMs: facts.now, weekday: WEEKDAYS[date.getUTCDay()] ?? 'Sunday', hour: date.getUTCHours() },
    dryRun: run.dryRun,
    playbook: { name: run.playbook, vars: facts.vars ?? {} },
    step: { index: facts.index, name: facts.stepName, action: action.id, destructive: action.destructive, changesSomething: changesSomething(action) },
    params: facts.params,
    target: {
      kind: target.kind, ...(target.namespace !== undefined ? { namespace: target.namespace } : {}), name: target.name,
      observed: facts.observed ?? null,
      ...(facts.readError !== undefined ? { readError: facts.readError } : {}),
    },
    incident: {
      id: run.incidentId,
      anomaly: { ...anomaly, windowStart: isoTime(anomaly.windowStart), windowEnd: isoTime(anomaly.windowEnd) },
    },
    approvals: run.results
      .filter((r) => r.action === 'slack.approval' && (r.outcome === 'approved' || r.outcome === 'denied'))
      .map((r) => ({ step: r.step, outcome: r.outcome, description: r.description, at: isoTime(r.at) })),
    rails: facts.rails,
  };
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}
