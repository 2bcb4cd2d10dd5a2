import type { Clock } from '../shared/clock.js';
import type { ApprovalStore } from './approval-store.js';
import type { ApprovalDecision, ApprovalRecord, RejectionReason } from './approval-types.js';
import { decisionFor, tallyVote, timeoutVerdict, type Verdict } from './vote-tally.js';

/** Where a state-directory decision is recorded: the directory's own audit ledger. */
export interface DecisionLedger {
  append(type: 'decision', data: unknown): unknown;
  flush(): Promise<void>;
}

/** An operator's decision written straight into a state directory no service is running on. */
export interface StateDirDecisionRequest {
  readonly approvalId: string;
  /** The identity the operator acts as (`--as`): checked against the approval's allow-list. */
  readonly user: string;
  /** The operating-system account that ran the command, recorded beside `user`. */
  readonly osUser: string;
  readonly verdict: Verdict;
}

/** What the decision did. */
export type StateDirDecision =
  | { readonly kind: 'rejected'; readonly reason: RejectionReason; readonly detail: string }
  | { readonly kind: 'counted'; readonly approvals: number; readonly required: number }
  | { readonly kind: 'decided'; readonly decision: ApprovalDecision };

/**
 * Applies a decision to an approval in a state directory, with the allow-list and state machine a
 * Slack click meets, and records it (who, as whom, what it did) in the directory's ledger. User
 * groups cannot be checked without Slack: an identity only a group allows is refused. The service
 * reads the decision when it next starts on the directory and hands it to the waiting run, which
 * checks the binding (UIDs, resourceVersions) before anything runs.
 */
export async function decideInStateDir(
  request: StateDirDecisionRequest,
  deps: { readonly store: ApprovalStore; readonly ledger: DecisionLedger; readonly clock: Clock },
): Promise<StateDirDecision> {
  const now = deps.clock.now();
  const records = await deps.store.loadApprovals();
  const found = records.find((r) => r.id === request.approvalId);
  const outcome = await decide(found, request, deps.store, now);
  const base = {
    event: 'console-vote', via: 'state-dir', approvalId: request.approvalId, user: request.user, osUser: request.osUser, verdict: request.verdict,
    ...(found ? { incidentId: found.incidentId, playbook: found.playbook, ...(found.runId !== undefined ? { runId: found.runId } : {}) } : {}),
  };
  // A refused decision is a decision record too: `refusal` records are the actions the engine refused.
  if (outcome.kind === 'rejected') deps.ledger.append('decision', { ...base, result: `refused: ${outcome.reason}`, reason: outcome.detail });
  else if (outcome.kind === 'counted') deps.ledger.append('decision', { ...base, result: `counted (${outcome.approvals} of ${outcome.required})` });
  else deps.ledger.append('decision', { ...base, result: outcome.decision.outcome, decision: outcome.decision });
  await deps.ledger.flush();
  return outcome;
}

async function decide(record: ApprovalRecord | undefined, request: StateDirDecisionRequest, store: ApprovalStore, now: number): Promise<StateDirDecision> {
  if (record === undefined) return { kind: 'rejected', reason: 'unknown-approval', detail: `no approval ${request.approvalId}` };
  const { users, groups } = record.policy.approvers;
  if (!users.includes(request.user)) {
    return groups.length > 0
      ? { kind: 'rejected', reason: 'approver-check-failed', detail: `${request.user} is not listed by name, and user groups (${groups.join(', ')}) can only be checked with Slack: decide through the service (--server)` }
      : { kind: 'rejected', reason: 'not-an-approver', detail: `${request.user} is not on the approver allow-list` };
  }
  let current = record;
  if (current.decision === undefined && now >= current.expiresAt) {
    const { proceed, reason } = timeoutVerdict(current);
    current = { ...current, decision: decisionFor(current, 'timed-out', proceed, [], reason, now) };
    await store.saveApproval(current);
  }
  const tally = tallyVote(current, request.user, request.verdict, now);
  if (tally.kind === 'rejected') return { kind: 'rejected', reason: tally.reason, detail: tally.detail };
  if (tally.kind === 'counted') {
    await store.saveApproval(tally.record);
    return { kind: 'counted', approvals: tally.approvals, required: tally.required };
  }
  const decision = decisionFor(tally.record, tally.outcome, tally.proceed, tally.by, `${tally.reason} (from the console, in the state directory)`, now);
  await store.saveApproval({ ...tally.record, decision });
  return { kind: 'decided', decision };
}
