import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import { DetectorRuntime } from '../detect/detector-runtime.js';
import { detectorStateOf } from '../detect/detector-state.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { EntityKind } from '../features/entity.js';
import { EventTimeGuard } from '../features/event-time-guard.js';
import { FeatureExtractor, type AdvanceResult } from '../features/feature-extractor.js';
import type { FeatureWindow } from '../features/feature-window.js';
import { DeadLetterCompactor } from '../parse/compact-dead-letter.js';
import { KubernetesBlocks } from '../parse/kubernetes-blocks.js';
import { parseMessage, type ParseOptions } from '../parse/parse-message.js';
import type { DeadLetter, RecordOrigin } from '../parse/records.js';
import type { Clock } from '../shared/clock.js';
import { isoOrNumber } from '../shared/iso-or-number.js';
import type { CallGraph } from '../triage/case-tracker.js';
import type { ClosedGroup, DetectionListener, DetectorTally } from './closed-group.js';
import type { PipelineCounters, PipelineOptions, PipelineState } from './pipeline-types.js';

/** The part of a pipeline's state that belongs to detection. */
export type DetectionState = Pick<PipelineState, 'clock' | 'eventTime' | 'features' | 'detectors'>;

/** What a detection stage is built with besides its options. */
export interface DetectionSetup {
  /** The detectors it runs. */
  readonly detectors: readonly DetectorSpec[];
  /**
   * Detectors run elsewhere (autoencoders, scored on the thread that trains them): the closed
   * windows of the entity kinds they watch are handed on unscored, in `ClosedGroup.deferred`.
   */
  readonly deferred?: readonly DetectorSpec[];
  readonly autoencoders?: ReadonlyMap<string, AutoencoderDetector>;
  /** Input positions below this were processed before a restart: replayed, not new. */
  readonly replayBelow?: number;
  /** The engine's clock, which bounds event time when `eventTime.wallClock` is on. */
  readonly clock: Clock;
}

/**
 * The per-partition half of a pipeline, which needs no state shared with other partitions and can
 * run on a worker thread: parse, event-time admission, feature windows, detectors. It hands dead
 * letters and closed window groups to its listener, in input order.
 */
export class DetectionStage {
  readonly counters: PipelineCounters = { messages: 0, records: 0, parsed: 0, deadLettered: 0, late: 0, future: 0, unattributed: 0, windows: 0 };
  private firstSeen: number | undefined;
  /** Event time of the newest record parsed (admitted, not late): a refused record never moves it. */
  private newestParsed: number | undefined;
  /** Per open window start, the earliest input position that fed it (see `resumePosition`). */
  private readonly openPositions = new Map<number, number>();
  private readonly replayBelow: number;
  private readonly features: FeatureExtractor;
  private readonly eventTime: EventTimeGuard;
  private readonly compactor: DeadLetterCompactor;
  /** The size limit, and the Kubernetes blocks of this stream's envelopes seen before. */
  private readonly parseOptions: ParseOptions;
  /** Windows ending at or before this were closed by an earlier run (saved state). */
  readonly restoredClosedUpTo: number;
  private detectors: DetectorRuntime;
  private deferredKinds: ReadonlySet<EntityKind>;

  constructor(
    private readonly options: PipelineOptions,
    setup: DetectionSetup,
    private readonly listener: DetectionListener,
    state: DetectionState = {},
  ) {
    this.eventTime = new EventTimeGuard(options.eventTime, setup.clock, state.eventTime);
    this.compactor = new DeadLetterCompactor(options.deadLetterPrefixBytes);
    this.parseOptions = { maxBytes: options.maxMessageBytes, blocks: new KubernetesBlocks() };
    const closedUpTo = trustedClosedUpTo(state, options, setup.clock);
    this.restoredClosedUpTo = closedUpTo;
    this.features = new FeatureExtractor(options.features, { closedUpTo, maxTimestamp: closedUpTo }, state.features);
    this.replayBelow = setup.replayBelow ?? Number.NEGATIVE_INFINITY;
    this.detectors = new DetectorRuntime(setup.detectors, state.detectors, setup.autoencoders);
    this.deferredKinds = kindsOf(setup.deferred);
  }

  /** Parses one message and feeds its records; closes windows the watermark passed. */
  ingest(text: string, origin: RecordOrigin): void {
    const c = this.counters;
    c.messages++;
    this.compactor.nextMessage();
    const outcome = parseMessage(text, origin, this.parseOptions);
    c.records += outcome.records.length + outcome.deadLetters.length;
    for (const letter of outcome.deadLetters) this.deadLetter(letter);
    const { maxFutureSkewMs, maxSourceLeadMs } = this.options.eventTime;
    const records = outcome.records;
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      if (record === undefined) continue;
      this.firstSeen ??= record.timestamp;
      const verdict = this.eventTime.admit(origin.source, record.timestamp);
      if (verdict !== 'admitted') {
        c.future++;
        this.deadLetter({
          code: 'future', raw: text, origin, ...(records.length > 1 ? { recordIndex: index } : {}),
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
          code: 'late', raw: text, origin, ...(records.length > 1 ? { recordIndex: index } : {}),
          reason: `event time ${isoOrNumber(record.timestamp)} is older than the windows already closed (allowed lateness ${this.options.features.allowedLatenessMs / 1000}s)`,
        });
        continue;
      }
      c.parsed++;
      if (this.newestParsed === undefined || record.timestamp > this.newestParsed) this.newestParsed = record.timestamp;
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

  /** End of input: closes every window. */
  finish(): void {
    this.process(this.features.flush());
  }

  /**
   * Scores with another set of detectors from now on (a configuration reload); see
   * `Pipeline.reconfigure`. Detectors named in `fresh` start new baselines.
   */
  reconfigure(detectors: readonly DetectorSpec[], fresh: ReadonlySet<string>, autoencoders?: ReadonlyMap<string, AutoencoderDetector>, deferred?: readonly DetectorSpec[]): void {
    const kept = new Set(detectors.map((d) => d.metadata.name).filter((name) => !fresh.has(name)));
    this.detectors = new DetectorRuntime(detectors, detectorStateOf(this.detectors.snapshot(), (name) => kept.has(name)), autoencoders);
    this.deferredKinds = kindsOf(deferred);
  }

  /**
   * What to save. Event time is the confirmed watermark only: after `finish` every window is
   * closed, but what is saved as closed is what the watermark closed, never the end of time, and
   * never a far-future outlier.
   */
  state(): DetectionState {
    const closed = this.features.clock().closedUpTo;
    const watermark = this.eventTime.watermark();
    const w = this.options.features.windowMs;
    const byWatermark = watermark === undefined ? Number.NEGATIVE_INFINITY : alignDown(watermark - this.options.features.allowedLatenessMs, w);
    const closedUpTo = Math.max(this.restoredClosedUpTo, Math.min(closed, byWatermark));
    const finite = Number.isFinite(closedUpTo) ? closedUpTo : null;
    return {
      clock: { closedUpTo: finite, maxTimestamp: finite },
      eventTime: this.eventTime.snapshot(),
      features: this.features.snapshot(), detectors: this.detectors.snapshot(),
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

  /** Event time of the newest record parsed so far: how far a replay has read (its progress line). */
  get newestEventTime(): number | undefined {
    return this.newestParsed;
  }

  /** Access-log lines whose caller had no valid address to name a principal by. */
  get unnamedCallers(): number {
    return this.features.unattributedCallers;
  }

  get trackedEntities(): number {
    return this.features.trackedEntities;
  }

  /** Every window ending at or before this is closed. */
  get closedUpTo(): number {
    return this.features.clock().closedUpTo;
  }

  /** How entities talk, as learned so far (the case tracker groups incidents along it). */
  callGraph(): CallGraph {
    return this.features.callGraph();
  }

  /** The extractor, for what a worker reports of it (the edges it learned). */
  get featureExtractor(): FeatureExtractor {
    return this.features;
  }

  private deadLetter(letter: DeadLetter): void {
    this.counters.deadLettered++;
    this.listener.deadLetter(this.compactor.compact(letter));
  }

  private process(closed: AdvanceResult): void {
    if (closed.evicted.length > 0) this.detectors.forget(closed.evicted);
    const windows = closed.windows;
    for (const window of windows) this.openPositions.delete(window.windowStart);
    // Windows come sorted by start: each start is scored as a group, whose verdicts feed the
    // breaker before its anomalies act (see ResponseStage.group).
    for (let i = 0; i < windows.length; ) {
      const start = windows[i]?.windowStart;
      const group: FeatureWindow[] = [];
      for (; i < windows.length && windows[i]?.windowStart === start; i++) {
        const window = windows[i];
        if (window !== undefined) group.push(window);
      }
      this.counters.windows += group.length;
      const first = group[0];
      if (first === undefined) continue;
      const anomalies = this.detectors.scoreGroup(group);
      const tally: DetectorTally[] = [];
      for (const [detector, { scored, flagged }] of this.detectors.takeTally()) tally.push({ detector, scored, flagged });
      const deferredKinds = this.deferredKinds;
      const deferred = deferredKinds.size === 0 ? [] : group.filter((w) => deferredKinds.has(w.entity.kind));
      const result: ClosedGroup = { windowStart: first.windowStart, windowEnd: first.windowEnd, windows: group.length, anomalies, tally, deferred };
      this.listener.group(result);
    }
  }
}

function kindsOf(specs: readonly DetectorSpec[] | undefined): ReadonlySet<EntityKind> {
  return new Set((specs ?? []).map((s) => s.spec.entity));
}

function alignDown(ms: number, windowMs: number): number {
  return ms - (((ms % windowMs) + windowMs) % windowMs);
}

/**
 * The saved "closed up to". A state from before per-source watermarks were saved may hold a
 * watermark poisoned by one far-future record: it is trusted only if it is not ahead of the clock.
 */
function trustedClosedUpTo(state: DetectionState, options: PipelineOptions, clock: Clock): number {
  const saved = state.clock?.closedUpTo;
  if (saved === null || saved === undefined || !Number.isFinite(saved)) return Number.NEGATIVE_INFINITY;
  if (state.eventTime === undefined && saved > clock.now() + options.eventTime.maxFutureSkewMs) return Number.NEGATIVE_INFINITY;
  return saved;
}
