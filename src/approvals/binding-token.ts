import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { Secret } from '../shared/secret.js';
import type { ApprovalSubject } from './approval-types.js';

/**
 * The token carried in the approval buttons: an HMAC, under an engine secret, of the approval id
 * and of every gated action with its canonical parameters and its target's identity (kind,
 * namespace, name, UID, resourceVersion). A click counts only for the exact actions and objects
 * that were shown; a forged or altered button value, or one copied from another approval, fails.
 */
export function bindingToken(secret: Secret, approvalId: string, subjects: readonly ApprovalSubject[]): string {
  return createHmac('sha256', secret.reveal()).update(bindingMaterial(approvalId, subjects)).digest('base64url');
}

/**
 * What the token signs, in a canonical form: object keys sorted at every level, absent UID and
 * resourceVersion written as null so that "not pinned" and "pinned" never sign the same.
 */
export function bindingMaterial(approvalId: string, subjects: readonly ApprovalSubject[]): string {
  return canonicalJson({
    v: 1,
    approval: approvalId,
    subjects: subjects.map((s) => ({
      action: s.action,
      params: s.params,
      target: {
        kind: s.target.kind,
        namespace: s.target.namespace ?? null,
        name: s.target.name,
        uid: s.target.uid ?? null,
        resourceVersion: s.target.resourceVersion ?? null,
      },
    })),
  });
}

/**
 * Compares two tokens in constant time. Both sides are hashed first so inputs of any length compare
 * equal-length buffers, and the time taken reveals nothing about how much of a guess was right.
 */
export function tokensEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}
