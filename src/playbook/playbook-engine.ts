import type { Anomaly } from '../detect/anomaly.js';
import { formatScore } from '../shared/format-score.js';
import type { Incident } from '../triage/incident-tracker.js';
import type { PlaybookSpec } from './playbook-spec.js';
import type { PlaybookRun, StepResult } from './run-store.js';

/** One step of one playbook run, as reported. */
export interface ActionRecord extends StepResult {
  readonly playbook: string;
  readonly anomalyId: string;
  readonly incidentId: string;
  /** The incident's case (see triage/case-tracker.ts). */
  readonly caseId?: string;
}

/** Whether a matching playbook runs for an anomaly, and why. */
export interface Decision {
  readonly playbook: string;
  readonly anomalyId: string;
  readonly incidentId: string;
  readonly run: boolean;
  readonly reason: string;
}

/** What matching one anomaly produced: decisions to record and runs to execute. */
export interface HandleResult {
  readonly decisions: Decision[];
  readonly runs: PlaybookRun[];
}

/** Serialisable matching state (which incidents were handled, cooldowns), kept across restarts. */
export interface PlaybookEngineSnapshot {
  readonly ran: string[];
  readonly cooldownUntil: Record<string, number>;
}

/**
 * Decides which playbooks run for an anomaly: the trigger matches, the incident has lasted the
 * trigger's `for` duration, the playbook has not run for this incident yet, and the entity is out
 * of the playbook's cooldown. Time is the anomaly's event time, so replays decide as live would.
 */
export class PlaybookEngine {
  private readonly ran: Set<string>;
  private readonly cooldownUntil: Map<string, number>;

  constructor(
    private readonly playbooks: readonly PlaybookSpec[],
    private readonly options: { readonly dryRun: boolean },
    snapshot?: PlaybookEngineSnapshot,
  ) {
    this.ran = new Set(snapshot?.ran);
    this.cooldownUntil = new Map(Object.entries(snapshot?.cooldownUntil ?? {}));
  }

  /** Runs and decisions for one anomaly of `incident`; `kase` is the case holding it (runs carry its id and root). */
  handle(anomaly: Anomaly, incident: Incident, kase?: { readonly id: string; readonly root: string }): HandleResult {
    const decisions: Decision[] = [];
    const runs: PlaybookRun[] = [];
    for (const playbook of this.playbooks) {
      const name = playbook.metadata.name;
      if (!matches(playbook, anomaly)) continue;
      const decide = (run: boolean, reason: string): void => {
        decisions.push({ playbook: name, anomalyId: anomaly.id, incidentId: incident.id, run, reason });
      };
      const runId = `${name}|${incident.id}`;
      if (this.ran.has(runId)) continue;
      const lasted = anomaly.windowEnd - incident.openedAt;
      if (lasted < playbook.spec.trigger.for) {
        decide(false, `waiting: the incident has lasted ${lasted / 1000}s of the ${playbook.spec.trigger.for / 1000}s the trigger requires`);
        continue;
      }
      this.ran.add(runId);
      const cooldownKey = `${name}|${anomaly.entity.key}`;
      const until = this.cooldownUntil.get(cooldownKey);
      if (until !== undefined && anomaly.windowEnd < until) {
        decide(false, `cooldown: ${anomaly.entity.key} was acted on by this playbook until ${new Date(until).toISOString()}`);
        continue;
      }
      this.cooldownUntil.set(cooldownKey, anomaly.windowEnd + playbook.spec.cooldown);
      decide(true, `trigger matched ${anomaly.detector} on ${anomaly.entity.key} (score ${formatScore(anomaly.score)})`);
      runs.push({
        id: runId, playbook: name, incidentId: incident.id, ...(kase !== undefined ? { caseId: kase.id, caseRoot: kase.root } : {}), anomaly, createdAt: anomaly.windowEnd,
        dryRun: this.options.dryRun || playbook.spec.dryRun, state: 'running', next: 0, results: [],
      });
    }
    return { decisions, runs };
  }

  /** Forgets a resolved incident (bounded memory); its cooldowns stay until they expire. */
  forgetIncident(incidentId: string, now: number): void {
    for (const key of this.ran) if (key.endsWith(`|${incidentId}`)) this.ran.delete(key);
    for (const [key, until] of this.cooldownUntil) if (until <= now) this.cooldownUntil.delete(key);
  }

  snapshot(): PlaybookEngineSnapshot {
    return { ran: [...this.ran], cooldownUntil: Object.fromEntries(this.cooldownUntil) };
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
