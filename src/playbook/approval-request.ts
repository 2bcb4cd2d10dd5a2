import type { ActionDefinition, ActionTarget } from '../actions/action-definition.js';
import { parseDuration } from '../shared/duration.js';
import type { ApprovalGate, GatedAction } from './approval-gate.js';
import type { PlaybookSpec, PlaybookStep } from './playbook-spec.js';
import type { PlaybookRun } from './run-store.js';
import { APPROVAL, prepareStep, type Prepared } from './step-preparation.js';

/** What asking for an approval needs. */
export interface ApprovalRequestDeps {
  readonly approvals: ApprovalGate;
  readonly lookup: (id: string) => ActionDefinition | undefined;
  /** Reads a target's UID and resourceVersion, so the approval binds the exact object shown. */
  readonly inspectTarget?: (target: ActionTarget) => Promise<{ readonly uid: string; readonly resourceVersion: string } | undefined>;
}

/** The approval asked: its id and deadline, and what it gates. */
export interface AskedApproval {
  readonly approvalId: string;
  readonly deadline: number;
  readonly gated: readonly GatedAction[];
}

/**
 * Asks for approval of the steps after the approval step at `index`, up to the next approval:
 * each is described as it would run, its target bound to the version read now.
 */
export async function requestApproval(
  run: PlaybookRun, index: number, prepared: Prepared & { ok: true }, steps: readonly PlaybookStep[], playbook: PlaybookSpec | undefined, deps: ApprovalRequestDeps,
): Promise<AskedApproval> {
  const params = prepared.params as { approvers: { users: string[]; groups: string[] }; required: number; timeout: string; onTimeout: 'deny' | 'approve'; channel: string };
  const gated: GatedAction[] = [];
  for (let i = index + 1; i < steps.length; i++) {
    const next = steps[i];
    if (next === undefined || next.action === APPROVAL) break;
    const p = prepareStep(next, run, playbook, deps.lookup);
    if (!p.ok) continue;
    const version = await deps.inspectTarget?.(p.target);
    gated.push({ step: i, action: next.action, params: p.params, target: { ...p.target, ...version }, description: p.description });
  }
  const { approvalId, deadline } = await deps.approvals.request({
    runId: run.id, step: index, playbook: run.playbook, incidentId: run.incidentId, anomaly: run.anomaly,
    ...(run.caseId !== undefined ? { caseId: run.caseId, ...(run.caseRoot !== undefined ? { caseRoot: run.caseRoot } : {}) } : {}),
    channel: params.channel, approvers: params.approvers, required: params.required,
    timeoutMs: parseDuration(params.timeout) ?? 15 * 60_000, onTimeout: params.onTimeout, actions: gated,
  });
  return { approvalId, deadline, gated };
}
