import type { Anomaly } from '../detect/anomaly.js';
import { IncidentReporter } from '../outputs/incident-reporter.js';
import type { IncidentSink } from '../outputs/incident-sink.js';
import { breakerIncident } from '../playbook/breaker-incident.js';
import { PlaybookEngine, type ActionRecord } from '../playbook/playbook-engine.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import { RunExecutor } from '../playbook/run-executor.js';
import { MemoryRunStore, ledgerTypeOf, type PlaybookRun, type StepResult } from '../playbook/run-store.js';
import { SafetyGuard } from '../playbook/safety-guard.js';
import type { StepPolicy } from '../playbook/step-policy.js';
import type { Clock } from '../shared/clock.js';
import { silentLogger } from '../shared/logger.js';
import type { Silencer } from '../silences/silence-cache.js';
import { CaseTracker, summarizeCase, type CallGraph, type CaseEvent, type CaseSummary } from '../triage/case-tracker.js';
import { IncidentTracker, type Incident } from '../triage/incident-tracker.js';
import type { ClosedGroup } from './closed-group.js';
import type { AnomalySink, BreakerEvent, IncidentSummary, LedgerSink, PipelineOptions, PipelineState } from './pipeline-types.js';

/** The part of a pipeline's state that belongs to the response. */
export type ResponseState = Pick<PipelineState, 'playbooks' | 'safety'>;

/** Where the response stage's outputs go. */
export interface ResponseSinks {
  readonly ledger: LedgerSink;
  readonly anomalies?: AnomalySink;
  readonly incidents?: IncidentSink;
}

/** What a response stage shares with the rest of its process (see `Pipeline`'s `shared`). */
export interface ResponseShared {
  readonly guard?: SafetyGuard;
  readonly executor?: RunExecutor;
  readonly policy?: (guard: SafetyGuard) => StepPolicy;
  readonly silences?: Silencer;
  /** The clock of the pipeline's own executor (dry runs record when they were planned). */
  readonly clock?: Clock;
}

/**
 * The half of a pipeline that stays on the thread holding the engine's shared state: the breaker
 * (the safety guard), triage into incidents and cases, playbooks, the executor and the incident
 * outputs. It takes closed window groups in event-time order, however detection produced them.
 */
export class ResponseStage {
  readonly anomalies: Anomaly[] = [];
  readonly actions: ActionRecord[] = [];
  readonly incidents: IncidentSummary[] = [];
  /** Resolved cases (collected for a report). */
  readonly cases: CaseSummary[] = [];
  readonly breakers: BreakerEvent[] = [];
  /** Live runs waiting to be handed to the executor (see `drain`), with the playbook they matched. */
  private readonly pendingRuns: { readonly run: PlaybookRun; readonly playbook: PlaybookSpec | undefined }[] = [];
  private readonly triage: IncidentTracker;
  private readonly caseTracker: CaseTracker;
  private playbooks: PlaybookEngine;
  private playbookSpecs: ReadonlyMap<string, PlaybookSpec>;
  readonly guard: SafetyGuard;
  private readonly executor: RunExecutor;
  /** Tells the incident outputs (Alertmanager, webhook) what triage did; absent without them. */
  private readonly reporter: IncidentReporter | undefined;

  /** @param callGraph what detection learned of how entities talk (cases are grouped along it). */
  constructor(
    playbooks: readonly PlaybookSpec[],
    private readonly options: PipelineOptions,
    private readonly sinks: ResponseSinks,
    callGraph: CallGraph,
    state: ResponseState = {},
    shared: ResponseShared = {},
  ) {
    this.triage = new IncidentTracker(options.resolveAfterMs);
    this.reporter = sinks.incidents ? new IncidentReporter(sinks.incidents) : undefined;
    // Incidents whose spans meet (within two windows) and whose entities are related join one case.
    this.caseTracker = new CaseTracker(callGraph, 2 * options.features.windowMs);
    this.playbooks = new PlaybookEngine(playbooks, { dryRun: options.dryRun }, state.playbooks);
    this.playbookSpecs = new Map(playbooks.map((p) => [p.metadata.name, p]));
    this.guard = shared.guard ?? new SafetyGuard(options.safety, state.safety);
    const clock = shared.clock;
    this.executor = shared.executor ?? new RunExecutor({
      playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard: this.guard, store: new MemoryRunStore(), ledger: sinks.ledger,
      actionDeps: { clock: clock ?? { now: () => Date.now() }, logger: silentLogger() },
      ...(shared.policy ? { policy: shared.policy(this.guard) } : {}),
      ...(shared.silences ? { silences: shared.silences } : {}),
    });
  }

  /**
   * One closed window group: its verdicts feed the breaker first, then its anomalies go to triage
   * and the playbooks (a detector gone haywire is stopped before its anomalies act), then the
   * incidents quiet since before the group's end resolve.
   */
  group(group: ClosedGroup): void {
    const end = group.windowEnd;
    for (const { detector, flagged, scored } of group.tally) {
      const opened = this.guard.observeWindow(detector, flagged, scored, end);
      if (opened) {
        const event: BreakerEvent = {
          detector, share: opened.share, scored: opened.scored, sources: opened.sources,
          windowEnd: new Date(end).toISOString(), until: new Date(opened.until).toISOString(),
        };
        // Suspending the response is an incident of its own: the SOC must hear of it.
        const incident = breakerIncident(event);
        if (this.options.collect) {
          this.breakers.push(event);
          this.incidents.push(incident);
        }
        this.sinks.ledger.append('decision', { event: 'breaker-opened', ...event });
        this.sinks.ledger.append('incident', { event: 'opened', id: incident.id, entity: incident.entity, openedAt: incident.openedAt });
      }
    }
    for (const anomaly of group.anomalies) this.anomaly(anomaly);
    for (const incident of this.triage.resolve(end)) this.resolved(incident);
  }

  /**
   * Hands an anomaly to triage and the playbooks as if a detector had raised it in a window that
   * just closed: incidents quiet for longer than `resolveAfterMs` before its window resolve first.
   */
  inject(anomaly: Anomaly): void {
    for (const incident of this.triage.resolve(anomaly.windowStart)) this.resolved(incident);
    this.anomaly(anomaly);
  }

  /** End of input: resolves every incident. */
  finish(): void {
    for (const incident of this.triage.resolveAll()) this.resolved(incident);
  }

  /**
   * Executes the live runs queued since the last call (at-least-once: call before committing
   * input), and the dry runs that wait for the policy gate's answers.
   */
  async drain(): Promise<void> {
    while (this.pendingRuns.length > 0) {
      const next = this.pendingRuns.shift();
      if (next?.run.dryRun === true) this.recordDryRun(next.run, await this.executor.dryRunAsked(next.run, next.playbook));
      else if (next) await this.executor.start(next.run, next.playbook);
    }
  }

  /** Matches with another set of playbooks from now on; what each handled and its cooldowns carry over by name. */
  reconfigure(playbooks: readonly PlaybookSpec[]): void {
    this.playbooks = new PlaybookEngine(playbooks, { dryRun: this.options.dryRun }, this.playbooks.snapshot());
    this.playbookSpecs = new Map(playbooks.map((p) => [p.metadata.name, p]));
  }

  /** The executor of live runs. */
  get runs(): RunExecutor {
    return this.executor;
  }

  state(): ResponseState {
    return { playbooks: this.playbooks.snapshot(), safety: this.guard.snapshot() };
  }

  private anomaly(anomaly: Anomaly): void {
    if (this.options.collect) this.anomalies.push(anomaly);
    this.sinks.anomalies?.add(anomaly);
    const ledger = this.sinks.ledger;
    ledger.append('anomaly', anomaly);
    const { incident, opened } = this.triage.observe(anomaly);
    const caseEvents = this.caseTracker.observe(incident);
    const kase = this.caseTracker.caseOf(incident.id);
    if (opened) {
      ledger.append('incident', {
        event: 'opened', id: incident.id, entity: incident.entity.key, openedAt: incident.openedAt,
        ...(kase !== undefined ? { caseId: kase.id, caseRoot: kase.root.key } : {}),
      });
    }
    this.recordCaseEvents(caseEvents);
    const caseRef = kase !== undefined ? { id: kase.id, root: kase.root.key } : undefined;
    const { decisions, runs } = this.playbooks.handle(anomaly, incident, caseRef);
    for (const decision of decisions) ledger.append('decision', decision);
    this.reporter?.observed(incident, anomaly, opened, runs.map((run) => run.playbook), caseRef);
    for (const run of runs) {
      // A dry run that asks a policy waits for its answers in `drain`, like a live run.
      const playbook = this.playbookSpecs.get(run.playbook);
      if (!run.dryRun || this.executor.asksPolicy) this.pendingRuns.push({ run, playbook });
      else this.recordDryRun(run, this.executor.dryRun(run, playbook));
    }
  }

  private recordDryRun(run: PlaybookRun, results: readonly StepResult[]): void {
    for (const result of results) {
      const record: ActionRecord = { ...result, playbook: run.playbook, anomalyId: run.anomaly.id, incidentId: run.incidentId, ...(run.caseId !== undefined ? { caseId: run.caseId } : {}) };
      this.sinks.ledger.append(ledgerTypeOf(result.outcome), record);
      if (this.options.collect) this.actions.push(record);
    }
  }

  /** Case opened, merged and resolved go to the ledger; resolved cases to the report. */
  private recordCaseEvents(events: readonly CaseEvent[]): void {
    for (const e of events) {
      if (e.event === 'joined') continue;
      const summary = summarizeCase(e.case);
      if (e.event === 'resolved' && this.options.collect) this.cases.push(summary);
      this.sinks.ledger.append('case', { event: e.event, ...summary, ...(e.event === 'merged' ? { mergedFrom: e.from } : {}) });
    }
  }

  private resolved(incident: Incident): void {
    const kase = this.caseTracker.caseOf(incident.id);
    const summary: IncidentSummary = {
      id: incident.id,
      entity: incident.entity.key,
      openedAt: new Date(incident.openedAt).toISOString(),
      lastSeen: new Date(incident.lastSeen).toISOString(),
      detectors: [...incident.detectors].sort(),
      anomalies: incident.anomalies,
      maxScore: incident.maxScore,
      ...(kase !== undefined ? { caseId: kase.id, caseRoot: kase.root.key } : {}),
    };
    if (this.options.collect) this.incidents.push(summary);
    this.sinks.ledger.append('incident', { event: 'resolved', ...summary });
    this.reporter?.resolved(incident, kase !== undefined ? { id: kase.id, root: kase.root.key } : undefined);
    this.recordCaseEvents(this.caseTracker.resolveIncident(incident));
    this.playbooks.forgetIncident(incident.id, incident.lastSeen);
  }
}
