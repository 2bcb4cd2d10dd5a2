import type { ActionTarget } from '../actions/action-definition.js';
import type { Anomaly } from '../detect/anomaly.js';

/** One action an approval covers, shown to the approvers exactly as it will run. */
export interface GatedAction {
  readonly step: number;
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** With the object's UID and resourceVersion when known, so the approval binds that exact object. */
  readonly target: ActionTarget & { readonly uid?: string; readonly resourceVersion?: string };
  readonly description: string;
}

/** What the engine asks a human to decide. */
export interface ApprovalRequest {
  readonly runId: string;
  readonly step: number;
  readonly playbook: string;
  readonly incidentId: string;
  /** The incident's case: the request goes into the case's thread and names it and its root. */
  readonly caseId?: string;
  readonly caseRoot?: string;
  readonly anomaly: Anomaly;
  readonly channel: string;
  readonly approvers: { readonly users: readonly string[]; readonly groups: readonly string[] };
  readonly required: number;
  readonly timeoutMs: number;
  readonly onTimeout: 'deny' | 'approve';
  /** The steps after the approval, up to the next approval: what the approvers actually allow. */
  readonly actions: readonly GatedAction[];
}

/** The outcome of an approval, delivered back to the executor. */
export interface ApprovalDecision {
  readonly approved: boolean;
  /** Slack user ids that decided; empty on timeout. */
  readonly by: readonly string[];
  readonly reason: string;
}

/**
 * Where approvals are asked. The Slack implementation posts buttons and later calls
 * `RunExecutor.decide` with the verified outcome; tests use a scripted gate.
 */
export interface ApprovalGate {
  request(request: ApprovalRequest): Promise<{ readonly approvalId: string; readonly deadline: number }>;
}
