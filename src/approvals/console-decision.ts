import type { ApprovalService } from './approval-service.js';
import type { InteractionResult } from './approval-types.js';
import { subjectsDigest } from './subjects-digest.js';
import type { Verdict } from './vote-tally.js';

/** An operator's decision through the service's console API. */
export interface ConsoleDecisionRequest {
  readonly approvalId: string;
  /** The Slack user id the operator's token is bound to: never a value the client chose. */
  readonly user: string;
  readonly verdict: Verdict;
  /** The {@link subjectsDigest} of the approval as the operator was shown it. */
  readonly binding: string;
}

/**
 * A decision without Slack, held to what a Slack click is held to: the approval must be known
 * here, the operator must have been shown exactly what it gates (the binding), and the identity
 * bound to their token must be on the approval's allow-list (user groups are asked of Slack, and
 * a group Slack cannot answer for is refused rather than guessed). Then the same state machine.
 */
export async function decideFromConsole(service: ApprovalService, request: ConsoleDecisionRequest): Promise<InteractionResult> {
  const ids = { user: request.user, approvalId: request.approvalId };
  const record = service.get(request.approvalId);
  if (record === undefined) return service.refuse('console', 'unknown-approval', `no approval ${request.approvalId}`, ids);
  if (request.binding !== subjectsDigest(record)) {
    return service.refuse('console', 'binding-mismatch', 'the decision was made for other actions or targets than this approval gates (show it again)', ids);
  }
  const allowed = await service.isAllowListed(record.policy.approvers, request.user, { approvalId: record.id });
  if (allowed === 'unknown') return service.refuse('console', 'approver-check-failed', 'could not read the allow-listed user groups from Slack', ids);
  if (!allowed) return service.refuse('console', 'not-an-approver', `${request.user} is not on the approver allow-list`, ids);
  return service.castVote(record.id, request.user, request.verdict, 'console');
}
