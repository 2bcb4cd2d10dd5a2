import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { formatTarget } from '../approvals/approval-message.js';
import { FileApprovalStore } from '../approvals/approval-store.js';
import type { ApprovalRecord } from '../approvals/approval-types.js';
import { subjectsDigest } from '../approvals/subjects-digest.js';
import { newestFirst, type ConsoleResource } from './console-resource.js';
import { StateDirError } from './ledger-records.js';

const iso = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

const approvalSchema = z.object({
  id: z.string(), incidentId: z.string(), playbook: z.string(), runId: z.string().exactOptional(),
  state: z.enum(['pending', 'approved', 'denied', 'timed-out', 'void']),
  createdAt: z.string(), expiresAt: z.string(),
  approvers: z.object({ users: z.array(z.string()), groups: z.array(z.string()) }),
  required: z.number(), onTimeout: z.enum(['approve', 'deny']),
  approvals: z.array(z.object({ user: z.string(), at: z.string() })),
  subjects: z.array(z.object({ action: z.string(), target: z.string(), description: z.string().exactOptional(), params: z.record(z.string(), z.unknown()) })),
  decision: z.object({ outcome: z.string(), proceed: z.boolean(), by: z.array(z.string()), reason: z.string(), at: z.string() }).exactOptional(),
  binding: z.string(),
});

/** An approval as the console shows it; `binding` is what a console decision sends back. */
export type ApprovalView = z.output<typeof approvalSchema>;

/** The console's view of a stored approval. */
export function approvalView(record: ApprovalRecord): ApprovalView {
  return {
    id: record.id, incidentId: record.incidentId, playbook: record.playbook, ...(record.runId !== undefined ? { runId: record.runId } : {}),
    state: record.decision?.outcome ?? 'pending', createdAt: iso(record.createdAt), expiresAt: iso(record.expiresAt),
    approvers: { users: [...record.policy.approvers.users], groups: [...record.policy.approvers.groups] },
    required: record.policy.required, onTimeout: record.policy.onTimeout,
    approvals: record.approvals.map((v) => ({ user: v.user, at: iso(v.at) })),
    subjects: record.subjects.map((s) => ({
      action: s.action, target: formatTarget(s.target), params: { ...s.params },
      ...(s.description !== undefined ? { description: s.description } : {}),
    })),
    ...(record.decision ? { decision: { outcome: record.decision.outcome, proceed: record.decision.proceed, by: [...record.decision.by], reason: record.decision.reason, at: iso(record.decision.at) } } : {}),
    binding: subjectsDigest(record),
  };
}

async function store(stateDir: string): Promise<FileApprovalStore> {
  const ok = await stat(stateDir).then((s) => s.isDirectory(), () => false);
  if (!ok) throw new StateDirError('state-dir-missing', `${stateDir} does not exist or is not a directory`);
  return new FileApprovalStore(stateDir);
}

/** Approvals, pending and decided, from `<state dir>/approvals/records/`. */
export const approvalsResource: ConsoleResource<ApprovalView> = {
  name: 'approvals',
  singular: 'approval',
  description: 'approvals, pending and decided: what they gate, who may decide, who did',
  schema: approvalSchema,
  async list(stateDir, query) {
    const records = await (await store(stateDir)).loadApprovals();
    return { items: newestFirst(records.map(approvalView), (a) => Date.parse(a.createdAt), query), notes: [] };
  },
  async show(stateDir, id) {
    const records = await (await store(stateDir)).loadApprovals();
    const record = records.find((r) => r.id === id);
    return record === undefined ? undefined : approvalView(record);
  },
  header: ['ID', 'STATE', 'CREATED', 'PLAYBOOK', 'INCIDENT', 'VOTES', 'GATES'],
  row: (a) => [a.id, a.state, a.createdAt, a.playbook, a.incidentId, `${a.approvals.length}/${a.required}`, a.subjects.map((s) => `${s.action} on ${s.target}`).join('; ')],
  fields: (a) => [
    ['id', a.id], ['state', a.state], ['playbook', a.playbook], ['incident', a.incidentId], ['run', a.runId],
    ['created', a.createdAt], ['expires', `${a.expiresAt} (then ${a.onTimeout})`],
    ['approvers', [...a.approvers.users, ...a.approvers.groups.map((g) => `group ${g}`)].join(', ')],
    ['required', String(a.required)],
    ['approved by', a.approvals.map((v) => `${v.user} at ${v.at}`).join(', ') || '-'],
    ...a.subjects.map((s, i) => [`gates ${i + 1}`, `${s.action} on ${s.target}${s.description !== undefined ? `: ${s.description}` : ''}`] as const),
    ['decision', a.decision ? `${a.decision.outcome} at ${a.decision.at}${a.decision.by.length > 0 ? ` by ${a.decision.by.join(', ')}` : ''}: ${a.decision.reason}` : undefined],
    ['binding', a.binding],
  ],
};
