/**
 * A dry run: what each step of a run would do, booked against the safety rails at the anomaly's
 * event time, silences and the policy gate asked as a live run asks them, nothing executed.
 */
import type { ActionDefinition } from '../actions/action-definition.js';
import type { Silencer } from '../silences/silence-cache.js';
import type { PlaybookSpec } from './playbook-spec.js';
import type { PlaybookRun, StepResult } from './run-store.js';
import type { SafetyGuard } from './safety-guard.js';
import { silenceGate } from './silence-gate.js';
import type { StepPolicy, StepPolicyQuestion, StepPolicyVerdict } from './step-policy.js';
import { APPROVAL, coveredDescription, formatTarget, guardRequestOf, policyQuestion, prepareStep } from './step-preparation.js';

/** What a dry run consults. */
export interface DryRunDeps {
  readonly guard: SafetyGuard;
  readonly policy?: StepPolicy;
  readonly silences?: Silencer;
  readonly lookup: (id: string) => ActionDefinition | undefined;
}

/**
 * The dry run, one step at a time: yields each policy question (with a gate) and takes its verdict.
 * @param playbook the playbook as it was when the run was matched (a reload may have replaced it since).
 */
export function* dryRunSteps(run: PlaybookRun, playbook: PlaybookSpec | undefined, deps: DryRunDeps): Generator<StepPolicyQuestion, StepResult[], StepPolicyVerdict | undefined> {
  if (!playbook) return [];
  const at = run.anomaly.windowEnd;
  const results: StepResult[] = [];
  let aborted: string | undefined;
  for (const [index, step] of playbook.spec.steps.entries()) {
    const name = step.name ?? step.action;
    if (aborted !== undefined) {
      results.push({ index, step: name, action: step.action, target: '-', outcome: 'skipped', description: `not run: ${aborted}`, at });
      continue;
    }
    const prepared = prepareStep(step, run, playbook, deps.lookup);
    if (!prepared.ok) {
      if (prepared.refused === true) {
        results.push({ index, step: name, action: step.action, target: '-', outcome: 'refused', description: prepared.problem, reason: 'refused', at });
        if (step.onError === 'abort') aborted = `step "${name}" was refused`;
        continue;
      }
      results.push({ index, step: name, action: step.action, target: '-', outcome: 'failed', description: prepared.problem, at });
      if (step.onError === 'abort') aborted = `step "${name}" failed`;
      continue;
    }
    const target = formatTarget(prepared.target);
    const silenced = silenceGate(deps.silences, run, { action: step.action, description: prepared.description }, at);
    if (silenced !== undefined) {
      results.push({ index, step: name, action: step.action, target, outcome: 'silenced', description: silenced.description, at, details: { silence: silenced.silence.id } });
      if (step.action === APPROVAL) aborted = `its approval step "${name}" was silenced by ${silenced.silence.id}`;
      continue;
    }
    const request = guardRequestOf(prepared, run, playbook);
    const verdict = deps.guard.check(request, at);
    if (!verdict.allowed && verdict.coveredBy !== undefined) {
      results.push({ index, step: name, action: step.action, target, outcome: 'covered', description: coveredDescription(verdict.coveredBy, target), at, details: { coveredBy: verdict.coveredBy.run } });
      continue;
    }
    if (!verdict.allowed) {
      results.push({ index, step: name, action: step.action, target, outcome: 'refused', description: verdict.reason, reason: 'refused', at });
      if (step.onError === 'abort') aborted = `step "${name}" was refused`;
      continue;
    }
    const ruling = deps.policy ? yield policyQuestion(run, playbook, index, name, prepared, request, at) : undefined;
    if (ruling?.allowed === false) {
      results.push({ index, step: name, action: step.action, target, outcome: 'refused', description: ruling.reason, reason: 'refused', at, policy: ruling.record });
      if (step.onError === 'abort') aborted = `step "${name}" was refused`;
      continue;
    }
    deps.guard.record(request, at);
    results.push({ index, step: name, action: step.action, target, outcome: 'dry-run', description: `would ${prepared.description}`, at, ...(ruling ? { policy: ruling.record } : {}) });
  }
  run.results = results;
  run.next = playbook.spec.steps.length;
  run.state = 'done';
  return results;
}
