import { formatSubject } from './approval-message.js';
import type { ApprovalDecision, ApprovalOutcome, ApprovalRecord } from './approval-types.js';

/** An approver's verdict. */
export type Verdict = 'approve' | 'deny';

/** What one allow-listed approver's verdict does to an approval, before anything is saved. */
export type Tally =
  | { readonly kind: 'rejected'; readonly reason: 'already-decided' | 'duplicate-approver'; readonly detail: string }
  /** Counted; more approvals are needed. */
  | { readonly kind: 'counted'; readonly record: ApprovalRecord; readonly approvals: number; readonly required: number }
  | { readonly kind: 'decided'; readonly record: ApprovalRecord; readonly outcome: 'approved' | 'denied'; readonly proceed: boolean; readonly by: readonly string[]; readonly reason: string };

/**
 * The approval state machine for one verdict, the same for a Slack click and a console decision:
 * a decided approval takes no more votes; a deny by any allow-listed approver ends it; an approval
 * counts once per approver and ends it when `required` distinct approvers agree. The caller has
 * checked the allow-list and the binding, and decided a timeout that has passed.
 */
export function tallyVote(record: ApprovalRecord, user: string, verdict: Verdict, now: number): Tally {
  if (record.decision !== undefined) return { kind: 'rejected', reason: 'already-decided', detail: `the approval was already ${record.decision.outcome}` };
  if (verdict === 'deny') return { kind: 'decided', record, outcome: 'denied', proceed: false, by: [user], reason: 'denied by an allow-listed approver' };
  if (record.approvals.some((v) => v.user === user)) {
    return { kind: 'rejected', reason: 'duplicate-approver', detail: `already approved; ${record.policy.required} distinct approvers are needed` };
  }
  const approvals = [...record.approvals, { user, at: now }];
  const required = record.policy.required;
  if (approvals.length < required) return { kind: 'counted', record: { ...record, approvals }, approvals: approvals.length, required };
  const reason = `${approvals.length} of ${required} required approval${required === 1 ? '' : 's'} given`;
  return { kind: 'decided', record: { ...record, approvals }, outcome: 'approved', proceed: true, by: approvals.map((v) => v.user), reason };
}

/** What a pending approval past its deadline ends with: its `onTimeout`, and why. */
export function timeoutVerdict(record: ApprovalRecord): { readonly proceed: boolean; readonly reason: string } {
  const got = record.approvals.length;
  return {
    proceed: record.policy.onTimeout === 'approve',
    reason: `no decision within ${record.policy.timeoutMs / 1000}s (${got} of ${record.policy.required} approvals); onTimeout: ${record.policy.onTimeout}`,
  };
}

/** The decision record that ends `record`. */
export function decisionFor(record: ApprovalRecord, outcome: ApprovalOutcome, proceed: boolean, by: readonly string[], reason: string, now: number): ApprovalDecision {
  return {
    approvalId: record.id, incidentId: record.incidentId, playbook: record.playbook, ...(record.runId !== undefined ? { runId: record.runId } : {}),
    outcome, proceed, by: [...by], at: now, reason,
    subjects: record.subjects.map(formatSubject),
  };
}
