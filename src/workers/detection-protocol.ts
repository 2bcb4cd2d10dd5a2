/**
 * What the main thread and a detection worker say to each other. Requests carry a sequence number
 * the reply repeats; a worker handles its requests one at a time, in the order they were posted,
 * so a partition's batches, state requests and reconfigurations apply in order.
 */
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { LearnedRelations } from '../features/feature-extractor.js';
import type { StoredDeadLetter } from '../parse/records.js';
import type { ClosedGroup } from '../pipeline/closed-group.js';
import type { DetectionState } from '../pipeline/detection-stage.js';
import type { PipelineCounters, PipelineOptions } from '../pipeline/pipeline-types.js';

/** How a partition's (or shard's) detection stage is built on a worker. */
export interface PartitionSetup {
  /** The detectors the worker runs (every one but the autoencoders). */
  readonly detectors: readonly DetectorSpec[];
  /** The autoencoders, scored on the main thread: the worker hands their windows on. */
  readonly deferred: readonly DetectorSpec[];
  readonly options: PipelineOptions;
  readonly state: DetectionState;
  readonly replayBelow?: number;
}

/** A request to a worker. `now` is the engine's clock when it was posted (event time's bound). */
export type WorkerRequest =
  | { readonly type: 'ping'; readonly seq: number; readonly id: string; readonly now: number }
  | { readonly type: 'open'; readonly seq: number; readonly id: string; readonly now: number; readonly setup: PartitionSetup }
  | { readonly type: 'batch'; readonly seq: number; readonly id: string; readonly now: number; readonly source: string; readonly buffer: ArrayBuffer; readonly finish: boolean }
  | { readonly type: 'state'; readonly seq: number; readonly id: string; readonly now: number }
  | { readonly type: 'reconfigure'; readonly seq: number; readonly id: string; readonly now: number; readonly detectors: readonly DetectorSpec[]; readonly deferred: readonly DetectorSpec[]; readonly fresh: readonly string[] }
  | { readonly type: 'close'; readonly seq: number; readonly id: string; readonly now: number };

/** What detection produced, in the order it produced it. */
export type DetectionEvent =
  | { readonly kind: 'learned'; readonly learned: LearnedRelations }
  | { readonly kind: 'group'; readonly group: ClosedGroup };

/** The detection stage's figures after a batch. */
export interface DetectionProgress {
  /** Running totals (not deltas): the main thread keeps the latest. */
  readonly counters: PipelineCounters;
  /** The earliest input position feeding a window still open; null when every window is closed. */
  readonly resumeFloor: number | null;
  readonly firstEventTime: number | null;
  readonly trackedEntities: number;
  readonly unnamedCallers: number;
  /** Every window ending at or before this is closed (null: none yet). */
  readonly closedUpTo: number | null;
}

/** The answer to one batch. */
export interface BatchResult extends DetectionProgress {
  readonly events: readonly DetectionEvent[];
  readonly deadLetters: readonly StoredDeadLetter[];
}

/** The answer to `open`. */
export interface OpenResult extends DetectionProgress {
  readonly restoredClosedUpTo: number | null;
}

/** A worker's reply. */
export type WorkerReply =
  | { readonly seq: number; readonly ok: true; readonly value: BatchResult | OpenResult | DetectionState | null }
  | { readonly seq: number; readonly ok: false; readonly error: string };
