/** Decides whether what is about to run is still what was approved, and says what changed. */
import type { Secret } from '../shared/secret.js';
import { formatTarget } from './approval-message.js';
import type { ApprovalSubject } from './approval-types.js';
import { bindingToken, tokensEqual } from './binding-token.js';

/**
 * Whether `current` (the gated actions as they would run now) binds the same token as `approved`
 * (what the approvers were shown) under approval `approvalId`.
 */
export function bindingHolds(secret: Secret, approvalId: string, approved: readonly ApprovalSubject[], current: readonly ApprovalSubject[]): boolean {
  return tokensEqual(bindingToken(secret, approvalId, approved), bindingToken(secret, approvalId, current));
}

/** Says what differs between what was approved and what is about to run. */
export function describeChange(approved: readonly ApprovalSubject[], current: readonly ApprovalSubject[]): string {
  if (approved.length !== current.length) return `${approved.length} action(s) approved, ${current.length} about to run`;
  const changes: string[] = [];
  approved.forEach((was, i) => {
    const now = current[i];
    if (now === undefined) return;
    if (was.action !== now.action) changes.push(`action ${was.action} became ${now.action}`);
    if (formatTarget(was.target) !== formatTarget(now.target)) changes.push(`target ${formatTarget(was.target)} became ${formatTarget(now.target)}`);
    if (was.target.uid !== now.target.uid) changes.push(`${formatTarget(was.target)} UID ${was.target.uid ?? '(none)'} is now ${now.target.uid ?? '(none)'}`);
    if (was.target.resourceVersion !== now.target.resourceVersion) {
      changes.push(`${formatTarget(was.target)} resourceVersion ${was.target.resourceVersion ?? '(none)'} is now ${now.target.resourceVersion ?? '(none)'}`);
    }
    if (JSON.stringify(sortKeys(was.params)) !== JSON.stringify(sortKeys(now.params))) changes.push(`parameters of ${was.action} changed`);
  });
  return changes.length > 0 ? changes.join('; ') : 'the binding token differs';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
}
