import { findAction } from '../actions/action-registry.js';
import type { ActionTarget } from '../actions/action-definition.js';
import type { Anomaly } from '../detect/anomaly.js';
import { formatScore } from '../shared/format-score.js';
import type { Incident } from '../triage/incident-tracker.js';
import type { PlaybookSpec, PlaybookStep } from './playbook-spec.js';
import { renderTemplates } from './templates.js';

/** What happened to one step. */
export type ActionOutcome = 'dry-run' | 'refused' | 'failed' | 'skipped';

/** One step of one playbook run, as recorded in the ledger and the report. */
export interface ActionRecord {
  readonly playbook: string;
  readonly step: string;
  readonly action: string;
  /** `Pod ml-prod/inference-7d9c-x2k4p` */
  readonly target: string;
  readonly outcome: ActionOutcome;
  /** What the action does (dry-run) or why it did not run. */
  readonly description: string;
  readonly anomalyId: string;
  readonly incidentId: string;
  /** Event time at which the decision was taken (end of the anomalous window). */
  readonly at: number;
}

/** Why a matching playbook did not run. */
export interface Decision {
  readonly playbook: string;
  readonly anomalyId: string;
  readonly incidentId: string;
  readonly run: boolean;
  readonly reason: string;
}

/** Engine-wide safety settings. */
export interface PlaybookEngineOptions {
  /** Global dry-run: nothing is executed, whatever the playbooks say. */
  readonly dryRun: boolean;
  /** Namespaces no action may target (kube-system, the engine's own). */
  readonly protectedNamespaces: readonly string[];
}

/** What handling one anomaly produced. */
export interface HandleResult {
  readonly decisions: Decision[];
  readonly actions: ActionRecord[];
}

/**
 * Matches anomalies against playbooks and runs their steps. Each playbook runs at most once per
 * incident, waits for its `for` duration, and leaves a target alone for its cooldown. In dry-run
 * every step is validated and described instead of executed.
 */
export class PlaybookEngine {
  private readonly ranFor = new Set<string>();
  private readonly cooldownUntil = new Map<string, number>();
  private readonly protectedNamespaces: ReadonlySet<string>;

  constructor(private readonly playbooks: readonly PlaybookSpec[], private readonly options: PlaybookEngineOptions) {
    this.protectedNamespaces = new Set(options.protectedNamespaces);
  }

  handle(anomaly: Anomaly, incident: Incident): HandleResult {
    const decisions: Decision[] = [];
    const actions: ActionRecord[] = [];
    for (const playbook of this.playbooks) {
      const name = playbook.metadata.name;
      if (!matches(playbook, anomaly)) continue;
      const decide = (run: boolean, reason: string): void => {
        decisions.push({ playbook: name, anomalyId: anomaly.id, incidentId: incident.id, run, reason });
      };
      const runKey = `${name}|${incident.id}`;
      if (this.ranFor.has(runKey)) continue;
      const lasted = anomaly.windowEnd - incident.openedAt;
      if (lasted < playbook.spec.trigger.for) {
        decide(false, `waiting: the incident has lasted ${lasted / 1000}s of the ${playbook.spec.trigger.for / 1000}s the trigger requires`);
        continue;
      }
      const cooldownKey = `${name}|${anomaly.entity.key}`;
      const until = this.cooldownUntil.get(cooldownKey);
      if (until !== undefined && anomaly.windowEnd < until) {
        this.ranFor.add(runKey);
        decide(false, `cooldown: ${anomaly.entity.key} was acted on by this playbook until ${new Date(until).toISOString()}`);
        continue;
      }
      this.ranFor.add(runKey);
      this.cooldownUntil.set(cooldownKey, anomaly.windowEnd + playbook.spec.cooldown);
      decide(true, `trigger matched ${anomaly.detector} on ${anomaly.entity.key} (score ${formatScore(anomaly.score)})`);
      actions.push(...this.runSteps(playbook, anomaly, incident));
    }
    return { decisions, actions };
  }

  private runSteps(playbook: PlaybookSpec, anomaly: Anomaly, incident: Incident): ActionRecord[] {
    const records: ActionRecord[] = [];
    const dryRun = this.options.dryRun || playbook.spec.dryRun;
    let aborted: string | undefined;
    for (const step of playbook.spec.steps) {
      const base = { playbook: playbook.metadata.name, step: step.name ?? step.action, action: step.action, anomalyId: anomaly.id, incidentId: incident.id, at: anomaly.windowEnd };
      if (aborted !== undefined) {
        records.push({ ...base, target: '-', outcome: 'skipped', description: `not run: ${aborted}` });
        continue;
      }
      const prepared = prepare(step, anomaly, incident, playbook.metadata.name);
      if ('problem' in prepared) {
        records.push({ ...base, target: '-', outcome: 'failed', description: prepared.problem });
        if (step.onError === 'abort') aborted = `step "${base.step}" failed`;
        continue;
      }
      const target = formatTarget(prepared.target);
      if (prepared.target.namespace !== undefined && this.protectedNamespaces.has(prepared.target.namespace)) {
        records.push({ ...base, target, outcome: 'refused', description: `namespace ${prepared.target.namespace} is protected; no action may target it` });
        if (step.onError === 'abort') aborted = `step "${base.step}" was refused`;
        continue;
      }
      if (!dryRun) {
        // Only dry-run execution exists in this build: say so rather than pretend.
        records.push({ ...base, target, outcome: 'refused', description: `live execution of ${step.action} is not available in this mode; ${prepared.description}` });
        aborted = 'live execution is not available';
        continue;
      }
      records.push({ ...base, target, outcome: 'dry-run', description: `would ${prepared.description}` });
    }
    return records;
  }
}

function matches(playbook: PlaybookSpec, anomaly: Anomaly): boolean {
  const t = playbook.spec.trigger;
  if (!t.detectors.includes(anomaly.detector)) return false;
  if (t.entityKinds && !t.entityKinds.includes(anomaly.entity.kind)) return false;
  if (t.namespaces && !t.namespaces.includes(anomaly.entity.namespace ?? '')) return false;
  if (anomaly.score < t.minScore) return false;
  if (t.severities && !t.severities.includes(anomaly.severity)) return false;
  if (t.labels) {
    for (const [k, v] of Object.entries(t.labels)) if (anomaly.entity.labels?.[k] !== v) return false;
  }
  for (const condition of playbook.spec.conditions ?? []) {
    const evidence = anomaly.evidence.find((e) => e.feature === condition.feature);
    if (!evidence) return false;
    if (condition.above !== undefined && !(evidence.observed > condition.above)) return false;
    if (condition.below !== undefined && !(evidence.observed < condition.below)) return false;
  }
  return true;
}

type Prepared = { target: ActionTarget; description: string } | { problem: string };

/** Fills the step's templates and re-validates the parameters against the action's schema. */
function prepare(step: PlaybookStep, anomaly: Anomaly, incident: Incident, playbook: string): Prepared {
  const action = findAction(step.action);
  if (!action) return { problem: `unknown action ${step.action}` };
  const rendered = renderTemplates(step.params, { anomaly, incidentId: incident.id, playbook });
  if (rendered.missing.length > 0) {
    return { problem: `no value for ${rendered.missing.map((m) => `{{ ${m} }}`).join(', ')} on ${anomaly.entity.key}` };
  }
  const params = action.params.safeParse(rendered.value);
  if (!params.success) {
    return { problem: `parameters invalid after filling templates: ${params.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  return { target: action.target(params.data), description: action.describe(params.data) };
}

function formatTarget(target: ActionTarget): string {
  return `${target.kind} ${target.namespace !== undefined ? `${target.namespace}/` : ''}${target.name}`;
}
