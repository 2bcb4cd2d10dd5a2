import type { DetectorSpec } from '../detect/detector-spec.js';
import type { DetectionState } from '../pipeline/detection-stage.js';
import type { PipelineCounters, PipelineOptions } from '../pipeline/pipeline-types.js';
import type { Clock } from '../shared/clock.js';
import type { BatchResult, DetectionProgress, OpenResult } from './detection-protocol.js';
import type { DetectionPool } from './detection-pool.js';
import { encodeBatch, type BatchMessage } from './message-batch.js';
import { splitDetectors } from '../pipeline/deferred-scoring.js';

/**
 * The main thread's handle on a detection stage a worker runs (one partition or shard): batches
 * go out as one transferred buffer each, results come back in order, and the latest figures
 * (counters, open positions, tracked entities) are kept here.
 */
export class RemoteDetection {
  private progress: DetectionProgress;
  /** Windows ending at or before this were closed by an earlier run (saved state). */
  readonly restoredClosedUpTo: number;

  private constructor(private readonly pool: DetectionPool, readonly id: string, private readonly clock: Clock, opened: OpenResult) {
    this.progress = opened;
    this.restoredClosedUpTo = opened.restoredClosedUpTo ?? Number.NEGATIVE_INFINITY;
  }

  /** Opens the stage on its worker from the partition's saved state (rejects when that state does not load). */
  static async open(
    pool: DetectionPool, id: string,
    setup: { readonly detectors: readonly DetectorSpec[]; readonly options: PipelineOptions; readonly state: DetectionState; readonly replayBelow?: number; readonly clock: Clock },
  ): Promise<RemoteDetection> {
    const { local, deferred } = splitDetectors(setup.detectors);
    const opened = await pool.request<OpenResult>({
      type: 'open', id, now: setup.clock.now(),
      setup: { detectors: local, deferred, options: setup.options, state: setup.state, ...(setup.replayBelow !== undefined ? { replayBelow: setup.replayBelow } : {}) },
    });
    return new RemoteDetection(pool, id, setup.clock, opened);
  }

  /** Detection of `messages` (and, with `finish`, the close of every window) on the worker. */
  async feed(messages: readonly BatchMessage[], source: string, finish = false): Promise<BatchResult> {
    const buffer = encodeBatch(messages);
    const result = await this.pool.request<BatchResult>({ type: 'batch', id: this.id, now: this.clock.now(), source, buffer, finish }, [buffer]);
    this.progress = result;
    return result;
  }

  /** The stage's state, as of the last batch answered. */
  state(): Promise<DetectionState> {
    return this.pool.request<DetectionState>({ type: 'state', id: this.id, now: this.clock.now() });
  }

  /** Switches detectors (in order with the batches: the worker takes requests one at a time). */
  reconfigure(detectors: readonly DetectorSpec[], fresh: ReadonlySet<string>): Promise<unknown> {
    const { local, deferred } = splitDetectors(detectors);
    return this.pool.request({ type: 'reconfigure', id: this.id, now: this.clock.now(), detectors: local, deferred, fresh: [...fresh] });
  }

  /**
   * Drops the stage on its worker and the pin at once: a partition opened again later under the
   * same id may go to another worker, which does not wait for this one to let go.
   */
  async close(): Promise<void> {
    const closing = this.pool.request({ type: 'close', id: this.id, now: this.clock.now() });
    this.pool.unpin(this.id);
    await closing;
  }

  get counters(): PipelineCounters {
    return this.progress.counters;
  }

  resumePosition(next: number): number {
    const floor = this.progress.resumeFloor;
    return floor !== null && floor < next ? floor : next;
  }

  get firstEventTime(): number | undefined {
    return this.progress.firstEventTime ?? undefined;
  }

  get trackedEntities(): number {
    return this.progress.trackedEntities;
  }

  get unnamedCallers(): number {
    return this.progress.unnamedCallers;
  }

  /** Every window ending at or before this is closed. */
  get closedUpTo(): number {
    return this.progress.closedUpTo ?? Number.NEGATIVE_INFINITY;
  }
}
