/**
 * The composition root: the one place where the stages are wired together.
 *
 *   source -> parse -> features -> detect -> triage -> playbooks -> actions -> audit ledger
 *
 * No stage imports another; each is a small class with a narrow interface, and this file moves
 * values between them.
 */
import type { Anomaly } from './detect/anomaly.js';
import type { AutoencoderDetector } from './detect/autoencoder/autoencoder-detector.js';
import { DetectorRuntime, detectorStateOf, type DetectorStateSnapshot } from './detect/detector-runtime.js';
import type { DetectorSpec } from './detect/detector-spec.js';
import { DEFAULT_EVENT_TIME_OPTIONS, EventTimeGuard, type EventTimeOptions, type EventTimeSnapshot } from './features/event-time-guard.js';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, type AdvanceResult, type FeatureExtractorOptions, type FeatureSnapshot } from './features/feature-extractor.js';
import type { FeatureWindow } from './features/feature-window.js';
import { DEFAULT_DEAD_LETTER_PREFIX_BYTES, DeadLetterCompactor } from './parse/compact-dead-letter.js';
import { parseMessage } from './parse/parse-message.js';
import type { DeadLetter, RecordOrigin, StoredDeadLetter } from './parse/records.js';
import { breakerIncident, type BreakerIncident, type OpenedBreaker } from './playbook/breaker-incident.js';
import { PlaybookEngine, type ActionRecord, type PlaybookEngineSnapshot } from './playbook/playbook-engine.js';
import type { PlaybookSpec } from './playbook/playbook-spec.js';
import { RunExecutor } from './playbook/run-executor.js';
import { MemoryRunStore, ledgerTypeOf, type PlaybookRun, type StepResult } from './playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type SafetyGuardSnapshot, type SafetyPolicy } from './playbook/safety-guard.js';
import type { StepPolicy } from './playbook/step-policy.js';
import { systemClock, type Clock } from './shared/clock.js';
import type { Silencer } from './silences/silence-cache.js';
import { silentLogger } from './shared/logger.js';
import { CaseTracker, summarizeCase, type CaseEvent, type CaseSummary } from './triage/case-tracker.js';
import { IncidentTracker, type Incident } from './triage/incident-tracker.js';
import { IncidentReporter } from './outputs/incident-reporter.js';
import type { IncidentSink } from './outputs/incident-sink.js';

/**
 * Where dead letters go; the embedded mode writes a file, the cluster service a Kafka topic. Letters
 * arrive bounded (a prefix of the original text, its length and hash, one copy per message).
 */
export interface DeadLetterSink {
  add(letter: StoredDeadLetter): void;
}

/** Where ledger records go. */
export interface LedgerSink {
  append(type: 'run' | 'anomaly' | 'incident' | 'case' | 'decision' | 'action' | 'refusal', data: unknown): unknown;
  flush(): Promise<void>;
}

/** Settings of one pipeline. */
export interface PipelineOptions {
  readonly features: FeatureExtractorOptions;
  readonly dryRun: boolean;
  readonly safety: SafetyPolicy;
  /** Quiet time after which an incident resolves. */
  readonly resolveAfterMs: number;
  readonly maxMessageBytes: number;
  /** Event-time admission: future bound, per-source watermarks (see `EventTimeGuard`). */
  readonly eventTime: EventTimeOptions;
  /** Bytes of the original text a dead letter keeps. */
  readonly deadLetterPrefixBytes: number;
  /** Keep anomalies, actions and incidents in memory for a report (replays); off in the service. */
  readonly collect: boolean;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  features: DEFAULT_FEATURE_OPTIONS,
  dryRun: true,
  safety: DEFAULT_SAFETY_POLICY,
  resolveAfterMs: 10 * 60_000,
  maxMessageBytes: 1024 * 1024,
  eventTime: DEFAULT_EVENT_TIME_OPTIONS,
  deadLetterPrefixBytes: DEFAULT_DEAD_LETTER_PREFIX_BYTES,
  collect: true,
};

/** Where anomalies go besides the ledger (the service's anomalies topic). */
export interface AnomalySink {
  add(anomaly: Anomaly): void;
}

/** Running totals of one pipeline. */
export interface PipelineCounters {
  messages: number;
  records: number;
  parsed: number;
  deadLettered: number;
  /** Records for windows already closed (dead-lettered as `late`). */
  late: number;
  /** Records too far ahead of the engine's clock or of their source (dead-lettered as `future`). */
  future: number;
  unattributed: number;
  windows: number;
}

/** Everything a pipeline keeps across restarts besides the ledger. */
export interface PipelineState {
  /** Event-time progress (JSON turns the initial -Infinity into null: absent means none yet). */
  readonly clock?: { readonly closedUpTo: number | null; readonly maxTimestamp: number | null };
  /** Confirmed per-source watermarks (absent: every source starts again). */
  readonly eventTime?: EventTimeSnapshot;
  /** Pod addresses, logging pods and caller -> callee edges learned so far (absent: start empty). */
  readonly features?: FeatureSnapshot;
  readonly detectors?: DetectorStateSnapshot;
  readonly playbooks?: PlaybookEngineSnapshot;
  readonly safety?: SafetyGuardSnapshot;
}

/** A detector breaker that opened: automatic action on its anomalies is suspended. */
export type BreakerEvent = OpenedBreaker;

/** A resolved or still-open incident as reported (a breaker's incident has the same shape). */
export type IncidentSummary = BreakerIncident;

/**
 * One engine instance's stream processing: messages in, anomalies, ledger records and (dry-run)
 * actions out. Shared by the embedded mode and the cluster service.
 */
export class Pipeline {
  readonly counters: PipelineCounters = { messages: 0, records: 0, parsed: 0, deadLettered: 0, late: 0, future: 0, unattributed: 0, windows: 0 };
  private firstSeen: number | undefined;
  readonly anomalies: Anomaly[] = [];
  readonly actions: ActionRecord[] = [];
  readonly incidents: IncidentSummary[] = [];
  /** Resolved cases (collected for a report). */
  readonly cases: CaseSummary[] = [];
  readonly breakers: BreakerEvent[] = [];
  /** Live runs waiting to be handed to the executor (see `drain`), with the playbook they matched. */
  private readonly pendingRuns: { readonly run: PlaybookRun; readonly playbook: PlaybookSpec | undefined }[] = [];
  /** Per open window start, the earliest input position that fed it (see `resumePosition`). */
  private readonly openPositions = new Map<number, number>();
  private readonly replayBelow: number;
  private readonly features: FeatureExtractor;
  private readonly eventTime: EventTimeGuard;
  private readonly compactor: DeadLetterCompactor;
  /** Windows ending at or before this were closed by an earlier run (saved state). */
  readonly restoredClosedUpTo: number;
  private detectors: DetectorRuntime;
  private readonly triage: IncidentTracker;
  private readonly caseTracker: CaseTracker;
  private playbooks: PlaybookEngine;
  private playbookSpecs: ReadonlyMap<string, PlaybookSpec>;
  readonly guard: SafetyGuard;
  private readonly executor: RunExecutor;
  /** Tells the incident outputs (Alertmanager, webhook) what triage did; absent without them. */
  private readonly reporter: IncidentReporter | undefined;

  constructor(
    detectors: readonly DetectorSpec[],
    playbooks: readonly PlaybookSpec[],
    private readonly options: PipelineOptions,
    private readonly sinks: { readonly deadLetters: DeadLetterSink; readonly ledger: LedgerSink; readonly anomalies?: AnomalySink; readonly incidents?: IncidentSink },
    state: PipelineState = {},
    /**
     * The safety rails and executor shared by every pipeline of a process (the service runs one
     * pipeline per partition, but budgets and rate limits are per engine). Without it the pipeline
     * has its own and executes nothing live (dry-run replays).
     */
    shared: {
      readonly guard?: SafetyGuard;
      readonly executor?: RunExecutor;
      readonly autoencoders?: ReadonlyMap<string, AutoencoderDetector>;
      /** Input positions below this were processed before a restart: replayed, not new. */
      readonly replayBelow?: number;
      /** The engine's clock, which bounds event time when `eventTime.wallClock` is on. */
      readonly clock?: Clock;
      /** The policy gate of the pipeline's own executor (embedded runs), given the pipeline's guard. */
      readonly policy?: (guard: SafetyGuard) => StepPolicy;
      /** Silences the pipeline's own executor honours (a shared executor has its own). */
      readonly silences?: Silencer;
    } = {},
  ) {
    const wall = shared.clock ?? systemClock;
    this.eventTime = new EventTimeGuard(options.eventTime, wall, state.eventTime);
    this.compactor = new DeadLetterCompactor(options.deadLetterPrefixBytes);
    const closedUpTo = trustedClosedUpTo(state, options, wall);
    this.restoredClosedUpTo = closedUpTo;
    this.features = new FeatureExtractor(
      options.features,
      { closedUpTo, maxTimestamp: closedUpTo },
      state.features,
    );
    this.replayBelow = shared.replayBelow ?? Number.NEGATIVE_INFINITY;
    this.detectors = new DetectorRuntime(detectors, state.detectors, shared.autoencoders);
    this.triage = new IncidentTracker(options.resolveAfterMs);
    this.reporter = sinks.incidents ? new IncidentReporter(sinks.incidents) : undefined;
    // Incidents whose spans meet (within two windows) and whose entities are related join one case.
    this.caseTracker = new CaseTracker(this.features.callGraph(), 2 * options.features.windowMs);
    this.playbooks = new PlaybookEngine(playbooks, { dryRun: options.dryRun }, state.playbooks);
    this.playbookSpecs = new Map(playbooks.map((p) => [p.metadata.name, p]));
    this.guard = shared.guard ?? new SafetyGuard(options.safety, state.safety);
    this.executor = shared.executor ?? new RunExecutor({
      playbooks: new Map(playbooks.map((p) => [p.metadata.name, p])), guard: this.guard, store: new MemoryRunStore(), ledger: sinks.ledger,
      actionDeps: { clock: { now: () => Date.now() }, logger: silentLogger() },
      ...(shared.policy ? { policy: shared.policy(this.guard) } : {}),
      ...(shared.silences ? { silences: shared.silences } : {}),
    });
  }

  /** Parses one message and feeds its records; closes windows the watermark passed. */
  ingest(text: string, origin: RecordOrigin): void {
    const c = this.counters;
    c.messages++;
    this.compactor.nextMessage();
    const outcome = parseMessage(text, origin, { maxBytes: this.options.maxMessageBytes });
    c.records += outcome.records.length + outcome.deadLetters.length;
    for (const letter of outcome.deadLetters) this.deadLetter(letter);
    const { maxFutureSkewMs, maxSourceLeadMs } = this.options.eventTime;
    for (const [index, record] of outcome.records.entries()) {
      this.firstSeen ??= record.timestamp;
      const verdict = this.eventTime.admit(origin.source, record.timestamp);
      if (verdict !== 'admitted') {
        c.future++;
        this.deadLetter({
          code: 'future', raw: text, origin, ...(outcome.records.length > 1 ? { recordIndex: index } : {}),
          reason: verdict === 'future-of-clock'
            ? `event time ${isoOrNumber(record.timestamp)} is more than ${maxFutureSkewMs / 1000}s ahead of the engine's clock`
            : `event time ${isoOrNumber(record.timestamp)} is more than ${maxSourceLeadMs / 1000}s ahead of its source's watermark and not (yet) confirmed by later records`,
        });
        continue;
      }
      const result = this.features.ingest(record);
      if (result === 'late' && origin.position < this.replayBelow) {
        // A replayed record whose window closed before the restart: it was counted then.
        continue;
      }
      if (result === 'late') {
        c.late++;
        this.deadLetter({
          code: 'late', raw: text, origin, ...(outcome.records.length > 1 ? { recordIndex: index } : {}),
          reason: `event time ${isoOrNumber(record.timestamp)} is older than the windows already closed (allowed lateness ${this.options.features.allowedLatenessMs / 1000}s)`,
        });
        continue;
      }
      c.parsed++;
      if (result === 'unattributed') c.unattributed++;
      const windowMs = this.options.features.windowMs;
      const start = record.timestamp - (record.timestamp % windowMs);
      const first = this.openPositions.get(start);
      if (first === undefined || origin.position < first) this.openPositions.set(start, origin.position);
    }
    const watermark = this.eventTime.watermark();
    if (watermark !== undefined) this.process(this.features.advanceTo(watermark));
  }

  /** Dead-letters a message the source itself had to reject (e.g. a line too long to keep). */
  reject(letter: DeadLetter): void {
    this.compactor.nextMessage();
    this.counters.messages++;
    this.counters.records++;
    this.deadLetter(letter);
  }

  /**
   * Hands an anomaly to triage and the playbooks as if a detector had raised it in a window that
   * just closed (`meshwarden test` feeds anomalies this way): incidents quiet for longer than
   * `resolveAfterMs` before its window resolve first, as the window's close would resolve them.
   */
  inject(anomaly: Anomaly): void {
    for (const incident of this.triage.resolve(anomaly.windowStart)) this.resolved(incident);
    this.anomaly(anomaly);
  }

  /** End of input: closes every window and resolves every incident. */
  finish(): void {
    this.process(this.features.flush());
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

  /**
   * Scores and matches from now on with another set of detectors and playbooks (a configuration
   * reload). Open windows, event time and learned features carry over. Detectors named in `fresh`
   * (their definition changed) start new baselines; the others keep theirs; a removed detector's
   * state is dropped. Which incidents a playbook handled and its cooldowns carry over by name, so
   * a reload never re-runs a playbook on an incident or lifts a cooldown.
   */
  reconfigure(detectors: readonly DetectorSpec[], playbooks: readonly PlaybookSpec[], fresh: ReadonlySet<string>, autoencoders?: ReadonlyMap<string, AutoencoderDetector>): void {
    const kept = new Set(detectors.map((d) => d.metadata.name).filter((name) => !fresh.has(name)));
    this.detectors = new DetectorRuntime(detectors, detectorStateOf(this.detectors.snapshot(), (name) => kept.has(name)), autoencoders);
    this.playbooks = new PlaybookEngine(playbooks, { dryRun: this.options.dryRun }, this.playbooks.snapshot());
    this.playbookSpecs = new Map(playbooks.map((p) => [p.metadata.name, p]));
  }

  /** The executor of live runs (to resume runs after a restart, or deliver approval decisions). */
  get runs(): RunExecutor {
    return this.executor;
  }

  /**
   * What to save. Event time is the confirmed watermark only: after `finish` every window is
   * closed, but what is saved as closed is what the watermark closed, never the end of time, and
   * never a far-future outlier.
   */
  state(): PipelineState {
    const closed = this.features.clock().closedUpTo;
    const watermark = this.eventTime.watermark();
    const w = this.options.features.windowMs;
    const byWatermark = watermark === undefined ? Number.NEGATIVE_INFINITY : alignDown(watermark - this.options.features.allowedLatenessMs, w);
    const closedUpTo = Math.max(this.restoredClosedUpTo, Math.min(closed, byWatermark));
    const finite = Number.isFinite(closedUpTo) ? closedUpTo : null;
    return {
      clock: { closedUpTo: finite, maxTimestamp: finite },
      eventTime: this.eventTime.snapshot(),
      features: this.features.snapshot(), detectors: this.detectors.snapshot(), playbooks: this.playbooks.snapshot(), safety: this.guard.snapshot(),
    };
  }

  /**
   * Where a restart must resume reading so nothing held only in memory is lost: the earliest
   * input position feeding a window still open, or `next` when every window is closed.
   */
  resumePosition(next: number): number {
    let earliest = next;
    for (const position of this.openPositions.values()) if (position < earliest) earliest = position;
    return earliest;
  }

  /** Event time of the first record fed, to tell a replay older than the saved state. */
  get firstEventTime(): number | undefined {
    return this.firstSeen;
  }

  /** Access-log lines whose caller had no valid address to name a principal by. */
  get unnamedCallers(): number {
    return this.features.unattributedCallers;
  }

  get trackedEntities(): number {
    return this.features.trackedEntities;
  }

  private deadLetter(letter: DeadLetter): void {
    this.counters.deadLettered++;
    this.sinks.deadLetters.add(this.compactor.compact(letter));
  }

  private process(closed: AdvanceResult): void {
    if (closed.evicted.length > 0) this.detectors.forget(closed.evicted);
    const windows = closed.windows;
    for (const window of windows) this.openPositions.delete(window.windowStart);
    // Windows come sorted by start. Score each window start as a group, feed the breaker with the
    // group's verdicts, then act: a detector gone haywire is stopped before its anomalies act.
    for (let i = 0; i < windows.length; ) {
      const start = windows[i]?.windowStart;
      const group: FeatureWindow[] = [];
      for (; i < windows.length && windows[i]?.windowStart === start; i++) {
        const window = windows[i];
        if (window !== undefined) group.push(window);
      }
      this.counters.windows += group.length;
      const end = group[0]?.windowEnd ?? 0;
      const anomalies = this.detectors.scoreGroup(group);
      for (const [detector, { scored, flagged }] of this.detectors.takeTally()) {
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
      for (const anomaly of anomalies) this.anomaly(anomaly);
      for (const incident of this.triage.resolve(end)) this.resolved(incident);
    }
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

/** An ISO time, or the number itself when it is outside what a Date can show. */
export function isoOrNumber(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function alignDown(ms: number, windowMs: number): number {
  return ms - (((ms % windowMs) + windowMs) % windowMs);
}

/**
 * The saved "closed up to". A state from before per-source watermarks were saved may hold a
 * watermark poisoned by one far-future record: it is trusted only if it is not ahead of the clock.
 */
function trustedClosedUpTo(state: PipelineState, options: PipelineOptions, clock: Clock): number {
  const saved = state.clock?.closedUpTo;
  if (saved === null || saved === undefined || !Number.isFinite(saved)) return Number.NEGATIVE_INFINITY;
  if (state.eventTime === undefined && saved > clock.now() + options.eventTime.maxFutureSkewMs) return Number.NEGATIVE_INFINITY;
  return saved;
}
