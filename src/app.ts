/**
 * The composition root: the one place where the stages are wired together.
 *
 *   source -> parse -> features -> detect -> triage -> playbooks -> actions -> audit ledger
 *
 * Two stages, split by where they may run: detection (parse, event time, features, detectors;
 * per partition, no shared state: it can run on a worker thread) and response (breaker, triage,
 * cases, playbooks, executor; on the thread holding the engine's shared state). `Pipeline` runs
 * both in-process; `src/workers/` runs detection on worker threads.
 */
import type { Anomaly } from './detect/anomaly.js';
import type { AutoencoderDetector } from './detect/autoencoder/autoencoder-detector.js';
import type { DetectorSpec } from './detect/detector-spec.js';
import type { IncidentSink } from './outputs/incident-sink.js';
import type { DeadLetter, RecordOrigin } from './parse/records.js';
import { DetectionStage } from './pipeline/detection-stage.js';
import type { AnomalySink, BreakerEvent, DeadLetterSink, IncidentSummary, LedgerSink, PipelineCounters, PipelineOptions, PipelineState } from './pipeline/pipeline-types.js';
import { ResponseStage } from './pipeline/response-stage.js';
import type { ActionRecord } from './playbook/playbook-engine.js';
import type { PlaybookSpec } from './playbook/playbook-spec.js';
import type { RunExecutor } from './playbook/run-executor.js';
import type { SafetyGuard } from './playbook/safety-guard.js';
import type { StepPolicy } from './playbook/step-policy.js';
import { systemClock, type Clock } from './shared/clock.js';
import type { Silencer } from './silences/silence-cache.js';
import type { CaseSummary } from './triage/case-tracker.js';

export { DEFAULT_PIPELINE_OPTIONS } from './pipeline/pipeline-types.js';
export type { AnomalySink, BreakerEvent, DeadLetterSink, IncidentSummary, LedgerSink, PipelineCounters, PipelineOptions, PipelineState } from './pipeline/pipeline-types.js';
export { isoOrNumber } from './shared/iso-or-number.js';

/** What every pipeline of a process shares (see the `Pipeline` constructor). */
export interface PipelineShared {
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
}

/**
 * One engine instance's stream processing: messages in, anomalies, ledger records and (dry-run)
 * actions out. Shared by the embedded mode and the cluster service.
 */
export class Pipeline {
  readonly counters: PipelineCounters;
  readonly anomalies: Anomaly[];
  readonly actions: ActionRecord[];
  readonly incidents: IncidentSummary[];
  /** Resolved cases (collected for a report). */
  readonly cases: CaseSummary[];
  readonly breakers: BreakerEvent[];
  /** Windows ending at or before this were closed by an earlier run (saved state). */
  readonly restoredClosedUpTo: number;
  readonly guard: SafetyGuard;
  private readonly detection: DetectionStage;
  private readonly response: ResponseStage;

  constructor(
    detectors: readonly DetectorSpec[],
    playbooks: readonly PlaybookSpec[],
    options: PipelineOptions,
    sinks: { readonly deadLetters: DeadLetterSink; readonly ledger: LedgerSink; readonly anomalies?: AnomalySink; readonly incidents?: IncidentSink },
    state: PipelineState = {},
    /**
     * The safety rails and executor shared by every pipeline of a process (the service runs one
     * pipeline per partition, but budgets and rate limits are per engine). Without it the pipeline
     * has its own and executes nothing live (dry-run replays).
     */
    shared: PipelineShared = {},
  ) {
    const clock = shared.clock ?? systemClock;
    // The response is built second but receives from detection: the listener reaches it through `this`.
    this.detection = new DetectionStage(options, {
      detectors, clock,
      ...(shared.autoencoders ? { autoencoders: shared.autoencoders } : {}),
      ...(shared.replayBelow !== undefined ? { replayBelow: shared.replayBelow } : {}),
    }, {
      deadLetter: (letter) => { sinks.deadLetters.add(letter); },
      group: (group) => { this.response.group(group); },
    }, state);
    this.response = new ResponseStage(playbooks, options, sinks, this.detection.callGraph(), state, {
      ...(shared.guard ? { guard: shared.guard } : {}),
      ...(shared.executor ? { executor: shared.executor } : {}),
      ...(shared.policy ? { policy: shared.policy } : {}),
      ...(shared.silences ? { silences: shared.silences } : {}),
    });
    this.counters = this.detection.counters;
    this.restoredClosedUpTo = this.detection.restoredClosedUpTo;
    this.guard = this.response.guard;
    this.anomalies = this.response.anomalies;
    this.actions = this.response.actions;
    this.incidents = this.response.incidents;
    this.cases = this.response.cases;
    this.breakers = this.response.breakers;
  }

  /** Parses one message and feeds its records; closes windows the watermark passed. */
  ingest(text: string, origin: RecordOrigin): void {
    this.detection.ingest(text, origin);
  }

  /** Dead-letters a message the source itself had to reject (e.g. a line too long to keep). */
  reject(letter: DeadLetter): void {
    this.detection.reject(letter);
  }

  /**
   * Hands an anomaly to triage and the playbooks as if a detector had raised it in a window that
   * just closed (`meshwarden test` feeds anomalies this way): incidents quiet for longer than
   * `resolveAfterMs` before its window resolve first, as the window's close would resolve them.
   */
  inject(anomaly: Anomaly): void {
    this.response.inject(anomaly);
  }

  /** End of input: closes every window and resolves every incident. */
  finish(): void {
    this.detection.finish();
    this.response.finish();
  }

  /**
   * Executes the live runs queued since the last call (at-least-once: call before committing
   * input), and the dry runs that wait for the policy gate's answers.
   */
  async drain(): Promise<void> {
    await this.response.drain();
  }

  /**
   * Scores and matches from now on with another set of detectors and playbooks (a configuration
   * reload). Open windows, event time and learned features carry over. Detectors named in `fresh`
   * (their definition changed) start new baselines; the others keep theirs; a removed detector's
   * state is dropped. Which incidents a playbook handled and its cooldowns carry over by name, so
   * a reload never re-runs a playbook on an incident or lifts a cooldown.
   */
  reconfigure(detectors: readonly DetectorSpec[], playbooks: readonly PlaybookSpec[], fresh: ReadonlySet<string>, autoencoders?: ReadonlyMap<string, AutoencoderDetector>): void {
    this.detection.reconfigure(detectors, fresh, autoencoders);
    this.response.reconfigure(playbooks);
  }

  /** The executor of live runs (to resume runs after a restart, or deliver approval decisions). */
  get runs(): RunExecutor {
    return this.response.runs;
  }

  /**
   * What to save. Event time is the confirmed watermark only: after `finish` every window is
   * closed, but what is saved as closed is what the watermark closed, never the end of time, and
   * never a far-future outlier.
   */
  state(): PipelineState {
    const detection = this.detection.state();
    const response = this.response.state();
    return {
      ...(detection.clock ? { clock: detection.clock } : {}),
      ...(detection.eventTime ? { eventTime: detection.eventTime } : {}),
      ...(detection.features ? { features: detection.features } : {}),
      ...(detection.detectors ? { detectors: detection.detectors } : {}),
      ...(response.playbooks ? { playbooks: response.playbooks } : {}),
      ...(response.safety ? { safety: response.safety } : {}),
    };
  }

  /**
   * Where a restart must resume reading so nothing held only in memory is lost: the earliest
   * input position feeding a window still open, or `next` when every window is closed.
   */
  resumePosition(next: number): number {
    return this.detection.resumePosition(next);
  }

  /** Event time of the first record fed, to tell a replay older than the saved state. */
  get firstEventTime(): number | undefined {
    return this.detection.firstEventTime;
  }

  /** Event time of the newest record parsed so far; a record the engine refused never moves it. */
  get newestEventTime(): number | undefined {
    return this.detection.newestEventTime;
  }

  /** Access-log lines whose caller had no valid address to name a principal by. */
  get unnamedCallers(): number {
    return this.detection.unnamedCallers;
  }

  get trackedEntities(): number {
    return this.detection.trackedEntities;
  }
}
