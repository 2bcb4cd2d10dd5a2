import { createHash } from 'node:crypto';
import type { ApprovalRecord } from './approval-types.js';
import { bindingMaterial } from './binding-token.js';

/**
 * A digest of exactly what an approval gates (the same material the Slack buttons' binding token
 * signs: every action, its parameters and its target's UID and resourceVersion). The console shows
 * it with the approval and sends it back with the operator's decision, so a decision counts only
 * for what the operator was shown. Not a secret: it proves what was seen, not who saw it.
 */
export function subjectsDigest(record: Pick<ApprovalRecord, 'id' | 'subjects'>): string {
  return createHash('sha256').update(bindingMaterial(record.id, record.subjects)).digest('hex').slice(0, 32);
}
