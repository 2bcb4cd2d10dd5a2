import type { ActionTarget } from '../actions/action-definition.js';
import type { ApprovalSubject, PendingApproval } from './approval-types.js';

/**
 * The gated actions of an approval as they would run now: each target re-read with `inspect`.
 * A target that changed or was replaced (other UID or resourceVersion), or is gone, no longer
 * matches what the approvers saw, and the approval is void.
 */
export function currentSubjectsWith(
  inspect: (target: ActionTarget) => Promise<{ readonly uid: string; readonly resourceVersion: string } | undefined>,
): (approval: PendingApproval) => Promise<readonly ApprovalSubject[]> {
  return (approval) =>
    Promise.all(
      approval.subjects.map(async (subject) => {
        const { uid: _uid, resourceVersion: _version, ...target } = subject.target;
        const now = await inspect(target);
        return { ...subject, target: { ...target, ...now } };
      }),
    );
}
