import type { ActionTarget } from '../actions/action-definition.js';
import type { Anomaly } from '../detect/anomaly.js';

/**
 * The target of a gated action as the approver sees it. `uid` and `resourceVersion` pin the exact
 * object (a pod recreated under the same name has another UID; an edited one another version).
 */
export interface BoundTarget extends ActionTarget {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

/** One action the approval gates, exactly as it will run. */
export interface ApprovalSubject {
  /** Action id, e.g. `kubernetes.quarantine-pod`. */
  readonly action: string;
  /** Parameters after templates were filled and validated. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly target: BoundTarget;
  /** The action's dry-run sentence, shown to the approver. */
  readonly description?: string;
}

/** Who may decide, how many must agree, and what silence means. From the `slack.approval` step. */
export interface ApprovalPolicy {
  /** Channel as the playbook wrote it. */
  readonly channel: string;
  readonly approvers: { readonly users: readonly string[]; readonly groups: readonly string[] };
  /** Distinct approvals needed (N of M). */
  readonly required: number;
  readonly timeoutMs: number;
  readonly onTimeout: 'approve' | 'deny';
}

/** What the engine asks for. */
export interface ApprovalRequest extends ApprovalPolicy {
  /**
   * The step's idempotency key. The approval id derives from it, so asking again after a crash
   * (or from a second replica) finds the same approval instead of posting a second one.
   */
  readonly idempotencyKey: string;
  readonly incidentId: string;
  /** The incident's case: its Slack thread holds the request, which names the case and its root. */
  readonly caseId?: string;
  readonly caseRoot?: string;
  readonly playbook: string;
  /** The engine's run the approval parks, handed back on the decision. */
  readonly runId?: string;
  /** The anomaly that triggered the run; shown as the thread's parent when there is none yet. */
  readonly anomaly: Anomaly;
  /** The actions the approval gates, in order; at least one. */
  readonly subjects: readonly ApprovalSubject[];
}

/** One approver's approval. */
export interface ApprovalVote {
  readonly user: string;
  readonly at: number;
}

/** How an approval ended. */
export type ApprovalOutcome = 'approved' | 'denied' | 'timed-out' | 'void';

/**
 * The final word on an approval, written to the audit ledger and posted to the thread. `proceed`
 * is what the engine acts on: true only when approved (or timed out with `onTimeout: approve`) and
 * the binding still holds.
 */
export interface ApprovalDecision {
  readonly approvalId: string;
  readonly incidentId: string;
  readonly playbook: string;
  readonly runId?: string;
  readonly outcome: ApprovalOutcome;
  readonly proceed: boolean;
  /** Approvers who approved (approved), the one who denied (denied); empty otherwise. */
  readonly by: readonly string[];
  readonly at: number;
  /** One sentence: why it ended this way. */
  readonly reason: string;
  /** `action target` of each gated subject, for the record. */
  readonly subjects: readonly string[];
}

/** An approval as stored, pending or decided. */
export interface ApprovalRecord {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly incidentId: string;
  /** The incident's case: its Slack thread holds the request, which names the case and its root. */
  readonly caseId?: string;
  readonly caseRoot?: string;
  readonly playbook: string;
  readonly runId?: string;
  readonly policy: ApprovalPolicy;
  readonly subjects: readonly ApprovalSubject[];
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Where the request with the buttons is; absent until it was posted. */
  readonly message?: { readonly channel: string; readonly ts: string; readonly threadTs: string };
  readonly approvals: readonly ApprovalVote[];
  readonly decision?: ApprovalDecision;
}

/** The engine's view of an approval it asked for. */
export type PendingApproval = ApprovalRecord;

/** Why an interaction was not counted. */
export type RejectionReason =
  /** No signature or timestamp header (HTTP). */
  | 'unsigned'
  /** The signature does not match the body and timestamp under the signing secret. */
  | 'bad-signature'
  /** Signed (or clicked) more than the replay window ago, or in the future. */
  | 'stale'
  /** This exact interaction was already handled. */
  | 'replayed'
  /** Verified, but not a payload meshwarden understands. */
  | 'malformed'
  | 'unknown-approval'
  /** The button's binding token does not match the approval's action, parameters and target. */
  | 'binding-mismatch'
  /** The click came from another message than the approval request. */
  | 'wrong-message'
  | 'not-an-approver'
  /** Slack could not tell whether the user is in an allow-listed group; refused rather than guessed. */
  | 'approver-check-failed'
  | 'duplicate-approver'
  | 'already-decided';

/**
 * How a decision arrived: a click from Slack over HTTP or Socket Mode, sealed by another replica,
 * or an operator's `meshwarden approve|deny` through the service's console API.
 */
export type InteractionTransport = 'http' | 'socket-mode' | 'forwarded' | 'console';

/** An interaction that changed nothing, and why. */
export interface InteractionRejection {
  readonly type: 'rejected';
  readonly reason: RejectionReason;
  readonly detail: string;
  readonly transport: InteractionTransport;
  readonly at: number;
  readonly approvalId?: string;
  readonly user?: string;
}

/** Everything that happens to approvals, for the audit ledger. */
export type ApprovalEvent =
  | { readonly type: 'requested'; readonly approval: ApprovalRecord }
  | InteractionRejection
  | { readonly type: 'approved-by'; readonly approvalId: string; readonly user: string; readonly approvals: number; readonly required: number; readonly at: number }
  | { readonly type: 'decided'; readonly decision: ApprovalDecision };

/** What handling one interaction did. */
export type InteractionResult =
  | Extract<ApprovalEvent, { type: 'rejected' | 'approved-by' | 'decided' }>
  /** Verified and well-formed, but not for meshwarden (another app feature's button). */
  | { readonly type: 'ignored'; readonly detail: string }
  /** Verified, for an approval another replica holds: handed to the replicas (see setForwarder). */
  | { readonly type: 'forwarded'; readonly approvalId: string }
  /** Verified and handled by the handler of another meshwarden button (see setButtonHandler). */
  | { readonly type: 'handled'; readonly actionId: string; readonly user: string; readonly detail: string };

/** A click on a meshwarden button that is not an approval, verified, fresh and not a replay. */
export interface ButtonClick {
  readonly user: string;
  readonly actionId: string;
  readonly value: string;
  /** The message the button is on. */
  readonly channel?: string;
  readonly ts?: string;
  readonly transport: InteractionTransport;
  readonly at: number;
}
