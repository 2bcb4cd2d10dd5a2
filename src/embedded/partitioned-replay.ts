import type { PipelineShared } from '../app.js';
import type { Anomaly } from '../detect/anomaly.js';
import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { Entity } from '../features/entity.js';
import type { FeatureWindow } from '../features/feature-window.js';
import type { ClosedGroup } from '../pipeline/closed-group.js';
import { DeferredScoring, splitDetectors } from '../pipeline/deferred-scoring.js';
import type { DetectionState } from '../pipeline/detection-stage.js';
import { LearnedCallGraph } from '../pipeline/learned-call-graph.js';
import { mergeSameWindow } from '../pipeline/merge-anomalies.js';
import type { DeadLetterSink, LedgerSink, PipelineCounters, PipelineOptions, PipelineState } from '../pipeline/pipeline-types.js';
import { ResponseStage } from '../pipeline/response-stage.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import type { Clock } from '../shared/clock.js';
import { DetectionHost } from '../workers/detection-host.js';
import type { BatchResult, DetectionEvent } from '../workers/detection-protocol.js';
import type { DetectionPool } from '../workers/detection-pool.js';
import { encodeBatch, type BatchMessage } from '../workers/message-batch.js';
import { RemoteDetection } from '../workers/remote-detection.js';
import { PartitionAssigner, readAssignment, type PartitionAssignment } from './partition-assigner.js';
import { RetrainingGate } from './retraining-gate.js';

/** Lines per partition between two rounds of batches (each partition's lines go as one batch). */
const BATCH_LINES = 2_048;
/** Batches of one partition in flight at once (a worker works ahead while the response runs). */
const IN_FLIGHT_PER_PARTITION = 2;
/**
 * Window groups held for the merge at most: past it, a partition without traffic (its event time
 * stands still) no longer holds the others back, and its later windows are handed on when they close.
 */
const MAX_HELD_GROUPS = 4_096;

/**
 * What a replay saves when its input was split into partitions: one detection state per partition,
 * and which partition each entity went to.
 */
export interface PartitionedState extends Pick<PipelineState, 'playbooks' | 'safety'> {
  readonly partitions?: readonly DetectionState[];
  readonly assignment?: PartitionAssignment;
}

/** One partition's detection: hosted in this thread, or on a worker. */
interface PartitionDetection {
  feed(messages: readonly BatchMessage[], source: string, finish: boolean): Promise<BatchResult>;
  state(): Promise<DetectionState>;
}

/** A detection stage in this thread, fed through the same batches a worker reads. */
function hostedHere(host: DetectionHost, clock: Clock): PartitionDetection {
  return {
    feed: (messages, source, finish) => Promise.resolve(host.batch(encodeBatch(messages), source, clock.now(), finish)),
    state: () => Promise.resolve(host.state(clock.now())),
  };
}

interface Partition {
  readonly detection: PartitionDetection;
  pending: BatchMessage[];
  /** What it produced and the response has not taken yet, in order. */
  readonly events: DetectionEvent[];
  /** Every window ending at or before this is closed here (Infinity once its input ended, or while it had none). */
  frontier: number;
  fed: boolean;
  result: BatchResult | undefined;
}

/** What a partitioned replay is built from. */
export interface PartitionedReplaySetup {
  readonly partitions: number;
  /** Detection workers; without them every partition's detection runs in this thread. */
  readonly pool?: DetectionPool;
  readonly detectors: readonly DetectorSpec[];
  readonly playbooks: readonly PlaybookSpec[];
  readonly options: PipelineOptions;
  readonly sinks: { readonly deadLetters: DeadLetterSink; readonly ledger: LedgerSink };
  readonly state: PartitionedState;
  readonly source: string;
  readonly shared: Pick<PipelineShared, 'policy' | 'silences'> & { readonly clock: Clock; readonly autoencoders: ReadonlyMap<string, AutoencoderDetector> };
}

/**
 * A replay whose input is split into partitions by entity, as a Kafka topic keyed by entity keeps
 * an entity's messages together, the entities spread over the partitions by volume (see
 * partition-assigner.ts), each partition's detection on a worker (or all in this thread), and
 * one response in event-time order: a window start is handed on once every partition has closed
 * it, with the windows of all partitions together. The same input and partition count give the
 * same report however many workers run it: batches are cut by line count, results are taken in
 * the order the batches were cut, and the autoencoders score and train here, between groups.
 */
export class PartitionedReplay {
  private readonly partitions: Partition[];
  private readonly response: ResponseStage;
  private readonly scoring: DeferredScoring;
  private readonly graph: LearnedCallGraph;
  private readonly order: ReadonlyMap<string, number>;
  /** Batches sent, oldest first: their results are taken in this order. */
  private readonly inFlight: { readonly partition: Partition; readonly result: Promise<BatchResult>; readonly finish: boolean }[] = [];
  private readonly restored: number;
  private readonly assigner: PartitionAssigner;
  /** Retrains the autoencoders where it falls due, holding later groups while detection goes on. */
  private readonly retraining: RetrainingGate;
  /** The input's first lines, held until the first round of batches to plan the split on them. */
  private unplanned: BatchMessage[] | undefined = [];
  /** Lines added since the last round of batches. */
  private sinceRound = 0;
  /** End of the last window start handed on to the response. */
  private handedOn: number | undefined;

  private constructor(private readonly setup: PartitionedReplaySetup, detections: PartitionDetection[], restored: number, assignment: PartitionAssignment | undefined) {
    const { options, sinks, state, shared } = setup;
    this.assigner = new PartitionAssigner(detections.length, assignment);
    this.partitions = detections.map((detection) => ({ detection, pending: [], events: [], frontier: Number.POSITIVE_INFINITY, fed: false, result: undefined }));
    this.restored = restored;
    this.graph = new LearnedCallGraph(options.features.maxEntities);
    this.scoring = new DeferredScoring(setup.detectors, shared.autoencoders);
    this.order = new Map(setup.detectors.map((d, i) => [d.metadata.name, i]));
    this.response = new ResponseStage(setup.playbooks, options, sinks, this.graph.view, state, {
      ...(shared.policy ? { policy: shared.policy } : {}), ...(shared.silences ? { silences: shared.silences } : {}),
    });
    this.retraining = new RetrainingGate(() => shared.autoencoders.values(), (group) => {
      // An entity seen in several partitions (a caller named in its callees' logs) has a window in
      // each, and a verdict from each: one anomaly per window goes on, the autoencoders' included.
      const scored = this.scoring.complete(group);
      this.response.group({ ...scored, anomalies: mergeSameWindow(scored.anomalies) });
    });
  }

  static async open(setup: PartitionedReplaySetup): Promise<PartitionedReplay> {
    const { local, deferred } = splitDetectors(setup.detectors);
    const saved = setup.state.partitions?.length === setup.partitions ? setup.state.partitions : undefined;
    const detections: PartitionDetection[] = [];
    let restored = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < setup.partitions; i++) {
      const state = saved?.[i] ?? {};
      const pool = setup.pool;
      if (pool !== undefined) {
        const remote = await RemoteDetection.open(pool, `replay:${i}`, { detectors: setup.detectors, options: setup.options, state, clock: setup.shared.clock });
        restored = Math.max(restored, remote.restoredClosedUpTo);
        detections.push({ feed: (m, source, finish) => remote.feed(m, source, finish), state: () => remote.state() });
      } else {
        const host = new DetectionHost({ detectors: local, deferred, options: setup.options, state }, setup.shared.clock.now());
        restored = Math.max(restored, host.opened().restoredClosedUpTo ?? Number.NEGATIVE_INFINITY);
        detections.push(hostedHere(host, setup.shared.clock));
      }
    }
    // The saved split goes with the saved detection states: without them, entities are placed afresh.
    const assignment = saved !== undefined ? readAssignment(setup.state.assignment, setup.partitions) : undefined;
    return new PartitionedReplay(setup, detections, restored, assignment);
  }

  /** One input line (`cutFrom`: the line was cut at the limit, its full length). */
  async add(line: string, position: number, cutFrom?: number): Promise<void> {
    const message: BatchMessage = { value: line, position, ...(cutFrom !== undefined ? { cutFrom } : {}) };
    if (this.unplanned !== undefined) this.unplanned.push(message);
    else this.place(message, this.assigner.partitionOf(line));
    // Every partition sends what it holds at the same line counts, so each reports how far its
    // event time got at the same places, whatever the spread of the entities over partitions.
    if (++this.sinceRound >= BATCH_LINES * this.partitions.length) {
      this.sinceRound = 0;
      this.planSplit();
      for (const p of this.partitions) await this.send(p, false);
    }
  }

  /** End of input: every partition closes its windows; every window and incident is handed on. */
  async finish(): Promise<void> {
    this.planSplit();
    for (const partition of this.partitions) await this.send(partition, true);
    while (this.inFlight.length > 0) await this.takeOldest();
    await this.merge();
    await this.retraining.settle();
    this.response.finish();
  }

  /** Waits for what the response has queued (a policy's answers); groups held for a retraining stay held. */
  drain(): Promise<void> {
    return this.response.drain();
  }

  async state(): Promise<PartitionedState> {
    // Groups held for a retraining are handed on first: the partitions' states are past them.
    await this.retraining.settle();
    const partitions: DetectionState[] = [];
    for (const partition of this.partitions) partitions.push(await partition.detection.state());
    return { ...this.response.state(), partitions, assignment: this.assigner.snapshot() };
  }

  get counters(): PipelineCounters {
    const sum: PipelineCounters = { messages: 0, records: 0, parsed: 0, deadLettered: 0, late: 0, future: 0, unattributed: 0, windows: 0 };
    for (const p of this.partitions) {
      const c = p.result?.counters;
      if (c === undefined) continue;
      for (const key of Object.keys(sum) as (keyof PipelineCounters)[]) sum[key] += c[key];
    }
    return sum;
  }

  get anomalies(): readonly Anomaly[] { return this.response.anomalies; }
  get actions(): ResponseStage['actions'] { return this.response.actions; }
  get incidents(): ResponseStage['incidents'] { return this.response.incidents; }
  get cases(): ResponseStage['cases'] { return this.response.cases; }
  get breakers(): ResponseStage['breakers'] { return this.response.breakers; }
  get restoredClosedUpTo(): number { return this.restored; }
  /**
   * How far the replay has got in event time, for its progress line: the end of the last window
   * start every partition closed.
   */
  get eventTimeReached(): number | undefined { return this.handedOn; }

  get firstEventTime(): number | undefined {
    const times = this.partitions.map((p) => p.result?.firstEventTime).filter((t): t is number => typeof t === 'number');
    return times.length === 0 ? undefined : Math.min(...times);
  }

  get unnamedCallers(): number {
    return this.partitions.reduce((n, p) => n + (p.result?.unnamedCallers ?? 0), 0);
  }

  get trackedEntities(): number {
    return this.partitions.reduce((n, p) => n + (p.result?.trackedEntities ?? 0), 0);
  }

  /** Splits the first lines, held until now, by the volume of their entities (once). */
  private planSplit(): void {
    const held = this.unplanned;
    if (held === undefined) return;
    this.unplanned = undefined;
    const split = this.assigner.plan(held.map((m) => (typeof m.value === 'string' ? m.value : '')));
    for (let i = 0; i < held.length; i++) {
      const message = held[i];
      if (message !== undefined) this.place(message, split[i] ?? 0);
    }
  }

  private place(message: BatchMessage, index: number): void {
    const partition = this.partitions[index];
    if (partition === undefined) return;
    partition.pending.push(message);
    if (!partition.fed) {
      // A partition that had no line closed nothing yet: the merge waits for it from now on.
      partition.fed = true;
      partition.frontier = Number.NEGATIVE_INFINITY;
    }
  }

  private async send(partition: Partition, finish: boolean): Promise<void> {
    const messages = partition.pending;
    partition.pending = [];
    if (messages.length === 0 && !finish) return;
    this.inFlight.push({ partition, result: partition.detection.feed(messages, this.setup.source, finish), finish });
    const limit = IN_FLIGHT_PER_PARTITION * this.partitions.length;
    while (this.inFlight.length > limit) await this.takeOldest();
  }

  private async takeOldest(): Promise<void> {
    const next = this.inFlight.shift();
    if (next === undefined) return;
    const result = await next.result;
    const { partition } = next;
    partition.result = result;
    for (const letter of result.deadLetters) this.setup.sinks.deadLetters.add(letter);
    partition.events.push(...result.events);
    partition.frontier = next.finish ? Number.POSITIVE_INFINITY : result.closedUpTo ?? Number.NEGATIVE_INFINITY;
    await this.merge();
  }

  /** Hands on every window start that all partitions have closed, oldest first. */
  private async merge(): Promise<void> {
    const held = this.partitions.reduce((n, p) => n + p.events.filter((e) => e.kind === 'group').length, 0);
    const waitFor = held > MAX_HELD_GROUPS ? this.partitions.filter((p) => firstGroup(p.events) !== undefined) : this.partitions;
    const frontier = Math.min(...waitFor.map((p) => p.frontier));
    for (;;) {
      let start = Number.POSITIVE_INFINITY;
      for (const p of this.partitions) {
        const group = firstGroup(p.events);
        if (group !== undefined && group.windowStart < start) start = group.windowStart;
      }
      if (!Number.isFinite(start)) break;
      const groups: ClosedGroup[] = [];
      for (const p of this.partitions) {
        const group = firstGroup(p.events);
        if (group === undefined || group.windowStart !== start || group.windowEnd > frontier) continue;
        // What the partition learned before the group comes first.
        for (let event = p.events.shift(); event !== undefined; event = p.events.shift()) {
          if (event.kind === 'learned') this.graph.apply(event.learned);
          else break;
        }
        groups.push(group);
      }
      if (groups.length === 0) break;
      const combined = this.combine(groups);
      this.handedOn = combined.windowEnd;
      await this.retraining.handOn(combined);
    }
  }

  /** The windows of one start from several partitions, ordered as one pipeline orders them. */
  private combine(groups: readonly ClosedGroup[]): ClosedGroup {
    const [first] = groups;
    if (first === undefined) throw new RangeError('no window group to combine');
    if (groups.length === 1) return first;
    const tallies = new Map<string, { scored: number; flagged: Entity[] }>();
    const anomalies: Anomaly[] = [];
    const deferred: FeatureWindow[] = [];
    let windows = 0;
    for (const group of groups) {
      windows += group.windows;
      anomalies.push(...group.anomalies);
      deferred.push(...group.deferred);
      for (const t of group.tally) {
        const sum = tallies.get(t.detector) ?? { scored: 0, flagged: [] };
        sum.scored += t.scored;
        sum.flagged.push(...t.flagged);
        tallies.set(t.detector, sum);
      }
    }
    const rank = (name: string): number => this.order.get(name) ?? 0;
    anomalies.sort((a, b) => (a.entity.key !== b.entity.key ? (a.entity.key < b.entity.key ? -1 : 1) : rank(a.detector) - rank(b.detector)));
    deferred.sort((a, b) => (a.entity.key < b.entity.key ? -1 : a.entity.key > b.entity.key ? 1 : 0));
    const tally = [...tallies].sort(([a], [b]) => rank(a) - rank(b)).map(([detector, t]) => ({ detector, ...t }));
    return { windowStart: first.windowStart, windowEnd: first.windowEnd, windows, anomalies, tally, deferred };
  }
}

function firstGroup(events: readonly DetectionEvent[]): ClosedGroup | undefined {
  for (const event of events) if (event.kind === 'group') return event.group;
  return undefined;
}
