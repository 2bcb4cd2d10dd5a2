/** What an approval request must hold before it is recorded, and the copy of its subjects an approval keeps. */
import type { ApprovalRequest, ApprovalSubject } from './approval-types.js';

/** Every problem of the request, as sentences; none when it can be asked. */
export function requestProblems(request: ApprovalRequest): string[] {
  const problems: string[] = [];
  if (request.subjects.length === 0) problems.push('name at least one action to approve');
  if (request.approvers.users.length + request.approvers.groups.length === 0) problems.push('name at least one approver user or group');
  if (!Number.isInteger(request.required) || request.required < 1) problems.push(`required must be a whole number of at least 1, not ${request.required}`);
  if (request.approvers.groups.length === 0 && request.required > request.approvers.users.length) {
    problems.push(`required is ${request.required} but only ${request.approvers.users.length} approver(s) are listed`);
  }
  if (!(request.timeoutMs > 0)) problems.push('timeout must be positive');
  return problems;
}

/** A subject the caller can no longer change under the approval. */
export function copySubject(subject: ApprovalSubject): ApprovalSubject {
  return {
    action: subject.action,
    params: structuredClone(subject.params),
    target: { ...subject.target },
    ...(subject.description !== undefined ? { description: subject.description } : {}),
  };
}
