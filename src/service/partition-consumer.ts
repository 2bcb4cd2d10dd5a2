import type { EachBatchPayload } from 'kafkajs';
import type { Pipeline, PipelineState } from '../app.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { EngineMetrics } from '../server/metrics.js';
import type { Checkpoint, CheckpointStore } from './checkpoints.js';
import type { ServiceOutbox } from './service-outbox.js';

interface PartitionState {
  readonly pipeline: Pipeline;
  /**
   * Messages below this offset are covered by the loaded checkpoint. Offsets are held as numbers:
   * exact up to 2^53, which no partition reaches (a million messages a second for 285 years).
   */
  readonly skipBelow: number;
  /** First offset not yet processed. */
  nextOffset: number;
  lastCheckpoint: number;
  dirty: boolean;
  /** Parsed records already counted in the metrics. */
  countedParsed: number;
}

/** What the partition consumer works with. */
export interface PartitionConsumerDeps {
  /** A pipeline for a partition, from its checkpoint's state (throws when that state does not load). */
  readonly createPipeline: (state: PipelineState, replayBelow: number | undefined) => Pipeline;
  readonly checkpoints: CheckpointStore;
  readonly outbox: ServiceOutbox;
  /** Sends the outbox and flushes the local ledger. */
  readonly flushLedger: () => Promise<void>;
  /** Runs after each checkpoint (the engine-wide rails are saved with it). */
  readonly afterCheckpoint: () => Promise<void>;
  /** Runs after each batch (retraining starts beside the stream). */
  readonly afterBatch: () => void;
  /** A checkpoint that cannot be used: recorded by the caller. */
  readonly onUnusable: (partition: string, why: string) => void;
  readonly checkpointEveryMs: number;
  readonly metrics: EngineMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The consumer side of the service, partition by partition: one pipeline per assigned partition
 * (its detector state belongs to the partition), loaded from the partition's checkpoint, fed each
 * batch in offset order, drained of its live runs before anything is committed, and checkpointed
 * (outputs, then checkpoint, then offset) every `checkpointEveryMs`.
 */
export class PartitionConsumer {
  private readonly partitions = new Map<string, PartitionState>();

  constructor(private readonly deps: PartitionConsumerDeps) {}

  /** After a rebalance: a partition that moved to another replica is that replica's now. */
  keepOnly(assigned: ReadonlySet<string>): void {
    for (const key of this.partitions.keys()) if (!assigned.has(key)) this.partitions.delete(key);
  }

  /** The pipelines of the partitions assigned now (a configuration reload switches each). */
  pipelines(): Pipeline[] {
    return [...this.partitions.values()].map((p) => p.pipeline);
  }

  /** Checkpoints every partition with unsaved progress (on stop: without committing). */
  async checkpointAll(commit: boolean): Promise<void> {
    for (const [key, partition] of this.partitions) await this.checkpoint(key, partition, commit);
  }

  /** One fetched batch of one partition. */
  async batch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const started = performance.now();
    const key = `${batch.topic}:${batch.partition}`;
    const partition = this.partitions.get(key) ?? (await this.load(key));
    const source = `${batch.topic}/${batch.partition}`;
    const { metrics, outbox } = this.deps;
    let processed = 0;
    // Whether to go on (running, no seek pending) can only change while the loop awaits, and what
    // is resolved is only read then: both are handled around each await, and the last message
    // handled is resolved at the end even if one throws (messages covered by the checkpoint are
    // resolved too, or a batch entirely below it is fetched forever).
    let proceed = payload.isRunning() && !payload.isStale();
    let handled: string | undefined;
    try {
      for (const message of batch.messages) {
        if (!proceed) break;
        const offset = Number(message.offset);
        if (offset >= partition.skipBelow) {
          const origin = { source, position: offset };
          if (message.value === null) partition.pipeline.reject({ code: 'empty', reason: 'message without a value (tombstone)', raw: '', origin });
          else partition.pipeline.ingest(message.value.toString('utf8'), origin);
          if (outbox.full) await outbox.flush();
          partition.nextOffset = offset + 1;
          partition.dirty = true;
        }
        handled = message.offset;
        if (offset >= partition.skipBelow && ++processed % 5_000 === 0) {
          payload.resolveOffset(handled);
          handled = undefined;
          await payload.heartbeat();
          proceed = payload.isRunning() && !payload.isStale();
        }
      }
    } finally {
      if (handled !== undefined) payload.resolveOffset(handled);
    }
    const parsed = partition.pipeline.counters.parsed;
    metrics.records.inc({ source: batch.topic, outcome: 'parsed' }, parsed - partition.countedParsed);
    partition.countedParsed = parsed;
    // Live actions run before anything is committed; a slow backend slows consumption instead of
    // letting work pile up in memory.
    await partition.pipeline.drain();
    await this.deps.flushLedger();
    if (this.deps.clock.now() - partition.lastCheckpoint >= this.deps.checkpointEveryMs) await this.checkpoint(key, partition, true);
    this.deps.afterBatch();
    metrics.trackedEntities.set([...this.partitions.values()].reduce((n, p) => n + p.pipeline.trackedEntities, 0));
    const lag = Number(batch.highWatermark) - partition.nextOffset;
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
    metrics.batchSeconds.observe({ topic: batch.topic }, (performance.now() - started) / 1000);
    await payload.heartbeat();
  }

  /** Outputs first (acks=all), then the checkpoint, then the offset: never the other way round. */
  private async checkpoint(key: string, partition: PartitionState, commit: boolean): Promise<void> {
    if (!partition.dirty) return;
    await this.deps.flushLedger();
    const resume = partition.pipeline.resumePosition(partition.nextOffset);
    const checkpoint: Checkpoint = { version: 1, nextOffset: resume.toString(), processedUpTo: partition.nextOffset.toString(), state: partition.pipeline.state() };
    await this.deps.checkpoints.write(key, checkpoint, commit);
    await this.deps.afterCheckpoint();
    partition.lastCheckpoint = this.deps.clock.now();
    partition.dirty = false;
  }

  private async load(key: string): Promise<PartitionState> {
    let saved = await this.deps.checkpoints.read(key);
    const build = (checkpoint: Checkpoint | undefined): Pipeline =>
      this.deps.createPipeline(checkpoint?.state ?? {}, checkpoint?.processedUpTo !== undefined ? Number(checkpoint.processedUpTo) : undefined);
    let pipeline: Pipeline;
    try {
      pipeline = build(saved);
    } catch (error) {
      // A checkpoint this version cannot apply must not stop the partition for good.
      this.deps.onUnusable(key, `its state does not load: ${describeError(error)}`);
      saved = undefined;
      pipeline = build(undefined);
    }
    const skipBelow = saved ? Number(saved.nextOffset) : 0;
    const state: PartitionState = { pipeline, skipBelow, nextOffset: skipBelow, lastCheckpoint: this.deps.clock.now(), dirty: false, countedParsed: 0 };
    this.partitions.set(key, state);
    this.deps.logger.info({ partition: key, resumedAt: saved?.nextOffset ?? null }, saved ? 'partition resumed from its checkpoint' : 'partition starts with fresh baselines');
    return state;
  }
}
