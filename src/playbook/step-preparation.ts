/**
 * A playbook step made concrete for one anomaly: the action looked up, the install's variables
 * checked, templates filled, parameters validated again, the target known; and what the safety
 * rails and the policy gate are asked about it.
 */
import type { ActionDefinition, ActionTarget } from '../actions/action-definition.js';
import type { PlaybookSpec, PlaybookStep } from './playbook-spec.js';
import { unsetVarsReason } from './playbook-vars.js';
import type { PlaybookRun } from './run-store.js';
import type { GuardRequest } from './safety-guard.js';
import type { StepPolicyQuestion } from './step-policy.js';
import { targetParams } from './target-params.js';
import type { TargetCooldown } from './target-cooldowns.js';
import { VARS_SCOPE, renderTemplates, templateVariables } from './templates.js';

/** The action that parks a run until people decide. */
export const APPROVAL = 'slack.approval';

/** A step made concrete for one anomaly: templates filled, parameters re-validated, target known. */
export type Prepared =
  | {
    readonly ok: true; readonly action: ActionDefinition; readonly params: Record<string, unknown>; readonly target: ActionTarget; readonly description: string;
    /** No template in the parameters that pick the target: the playbook names it itself. */
    readonly literalTarget: boolean;
  }
  | { readonly ok: false; readonly problem: string; readonly refused?: true };

export function prepareStep(step: PlaybookStep, run: PlaybookRun, playbook: PlaybookSpec | undefined, lookup: (id: string) => ActionDefinition | undefined): Prepared {
  const action = lookup(step.action);
  if (!action) return { ok: false, problem: `unknown action ${step.action}` };
  const targetKeys = targetParams(action);
  const vars = playbook?.spec.vars;
  // A variable with no default that the install never set: refused, saying where to set it,
  // rather than acting on a target nobody named.
  const unset = vars === undefined ? [] : [...new Set(paramVariables(step.params))].flatMap((name) => {
    const declared = name.startsWith(`${VARS_SCOPE}.`) ? name.slice(VARS_SCOPE.length + 1) : undefined;
    return declared !== undefined && Object.hasOwn(vars, declared) && vars[declared] === null ? [declared] : [];
  });
  if (unset.length > 0) return { ok: false, refused: true, problem: unsetVarsReason(run.playbook, unset) };
  const rendered = renderTemplates(step.params, { anomaly: run.anomaly, incidentId: run.incidentId, playbook: run.playbook, ...(vars ? { vars } : {}) }, targetKeys);
  if (rendered.missing.length > 0) {
    return { ok: false, problem: `no value for ${rendered.missing.map((m) => `{{ ${m} }}`).join(', ')} on ${run.anomaly.entity.key}` };
  }
  if (rendered.refused.length > 0) return { ok: false, refused: true, problem: `target: ${rendered.refused.join('; ')}` };
  const parsed = action.params.safeParse(rendered.value);
  if (!parsed.success) {
    return { ok: false, problem: `parameters invalid after filling templates: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  const params = parsed.data as Record<string, unknown>;
  const raw = step.params as Readonly<Record<string, unknown>>;
  // A variable is the SOC's own text, written in the playbook or the install's values: a target
  // it names is as literal as one spelled out in the step.
  const literalTarget = [...targetKeys].every((key) => { const v = raw[key]; return typeof v !== 'string' || templateVariables(v).every((name) => name.startsWith(`${VARS_SCOPE}.`)); });
  return { ok: true, action, params, target: action.target(params), description: action.describe(params), literalTarget };
}

export function policyQuestion(run: PlaybookRun, playbook: PlaybookSpec, index: number, stepName: string, prepared: Prepared & { ok: true }, request: GuardRequest, now: number): StepPolicyQuestion {
  return { run, playbook, index, stepName, action: prepared.action, params: prepared.params, target: prepared.target, request, now };
}

export function guardRequestOf(prepared: Prepared & { ok: true }, run: PlaybookRun, playbook: PlaybookSpec): GuardRequest {
  const workload = run.anomaly.entity.workload;
  return {
    action: prepared.action, target: prepared.target, detector: run.anomaly.detector, entity: run.anomaly.entity,
    literalTarget: prepared.literalTarget, run: { id: run.id, playbook: run.playbook, cooldownMs: playbook.spec.cooldown },
    ...(workload !== undefined && prepared.target.kind === 'Pod' ? { workload } : {}),
  };
}

/** Every template variable in a step's parameters (strings at any depth). */
function paramVariables(value: unknown): string[] {
  if (typeof value === 'string') return templateVariables(value);
  if (Array.isArray(value)) return value.flatMap(paramVariables);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(paramVariables);
  return [];
}

/** What a covered step says: the run that already took it, and when. */
export function coveredDescription(holder: TargetCooldown, target: string): string {
  return `covered by run ${holder.run} (${holder.playbook}), which took the same step on ${target} at ${new Date(holder.at).toISOString()}`;
}

/** `Pod ml-prod/inference-7d9c-x2k4p` */
export function formatTarget(target: ActionTarget): string {
  return `${target.kind} ${target.namespace !== undefined ? `${target.namespace}/` : ''}${target.name}`;
}
