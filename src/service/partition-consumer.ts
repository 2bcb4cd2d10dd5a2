import type { EachBatchPayload } from 'kafkajs';
import type { PipelineState } from '../app.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { safeError } from '../shared/safe-error.js';
import type { EngineMetrics } from '../server/metrics.js';
import type { BatchMessage } from '../workers/message-batch.js';
import { splitPartitionKey, type Checkpoint, type CheckpointStore } from './checkpoints.js';
import type { PartitionEngine } from './partition-engine.js';
import type { ServiceOutbox } from './service-outbox.js';

interface PartitionState {
  readonly engine: PartitionEngine;
  /**
   * Messages below this offset are covered by the loaded checkpoint. Offsets are held as numbers:
   * exact up to 2^53, which no partition reaches (a million messages a second for 285 years).
   */
  readonly skipBelow: number;
  /** First offset not yet processed. */
  nextOffset: number;
  /** Where the last checkpoint (loaded or written) resumes: where a failed partition is read again from. */
  resumeAt: number;
  lastCheckpoint: number;
  dirty: boolean;
  /** Parsed records already counted in the metrics. */
  countedParsed: number;
  /**
   * The batch handed on and not finished yet (fed, its live runs drained, the ledger flushed, the
   * checkpoint written when due): the partition's next batch waits for it.
   */
  inFlight: Promise<void> | undefined;
  /** The consumer's own failure (a flush, a checkpoint, a commit) in a batch finished after its handler returned. */
  error: Error | undefined;
}

/** Messages handed to a partition's pipeline at once, at most (heartbeats go between them). */
const CHUNK_MESSAGES = 5_000;
/** Bytes of messages handed at once, at most (what a worker's batch holds). */
const CHUNK_BYTES = 4 << 20;

/** What the partition consumer works with. */
export interface PartitionConsumerDeps {
  /** A partition's pipeline, from its checkpoint's state (rejects when that state does not load). */
  readonly createPipeline: (key: string, state: PipelineState, replayBelow: number | undefined) => Promise<PartitionEngine>;
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
  /** Moves the consumer's position in a partition (to read it again from its checkpoint). */
  readonly seek: (topic: string, partition: number, offset: string) => void;
  readonly checkpointEveryMs: number;
  readonly metrics: EngineMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The consumer side of the service, partition by partition: one pipeline per assigned partition
 * (its detector state belongs to the partition), loaded from the partition's checkpoint, fed each
 * batch in offset order, drained of its live runs before anything is committed, and checkpointed
 * (outputs, then checkpoint, then offset) every `checkpointEveryMs`. A partition whose pipeline
 * fails (its detection worker died or threw) commits nothing more: it is dropped and read again
 * from its last checkpoint (at least once).
 *
 * A batch's handler hands the batch on and returns, so Kafka fetches the next batch while the
 * partition's detection works on this one (on its worker thread, beside the other partitions').
 * Each partition still takes one batch at a time: its next batch is read only once the one before
 * is finished, drained and checkpointed, so a live run waiting on a slow backend holds the
 * partition's consumption as before, and at most one batch per partition is in memory beyond
 * what Kafka fetched. Fetch positions move ahead; commits follow the checkpoints only.
 */
export class PartitionConsumer {
  private readonly partitions = new Map<string, PartitionState>();
  /** Every batch handed on and not finished, revoked partitions' included (a stop waits for them). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: PartitionConsumerDeps) {}

  /**
   * After a rebalance: a partition that moved to another replica is that replica's now. A batch
   * of it still in flight finishes here (its anomalies and live runs are claimed as any replica's
   * are), but it writes no checkpoint and commits nothing: the new owner reads from the last one.
   */
  keepOnly(assigned: ReadonlySet<string>): void {
    for (const [key, partition] of this.partitions) {
      if (assigned.has(key)) continue;
      this.partitions.delete(key);
      if (partition.inFlight === undefined) partition.engine.close();
      else void partition.inFlight.then(() => { partition.engine.close(); });
    }
  }

  /** The pipelines of the partitions assigned now (a configuration reload switches each). */
  pipelines(): PartitionEngine[] {
    return [...this.partitions.values()].map((p) => p.engine);
  }

  /** Partitions whose pipeline was lost (their worker died): read again from their checkpoints. */
  lost(keys: readonly string[], error: Error): void {
    for (const key of keys) {
      const partition = this.partitions.get(key);
      if (partition !== undefined) this.fail(key, partition, error);
    }
  }

  /** Finishes the batches in flight, then checkpoints every partition with unsaved progress (on stop: without committing). */
  async checkpointAll(commit: boolean): Promise<void> {
    await Promise.all(this.inFlight);
    for (const [key, partition] of this.partitions) await this.checkpoint(key, partition, commit);
  }

  /** One fetched batch of one partition: handed on once the partition's batch before it is finished. */
  async batch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const key = `${batch.topic}:${batch.partition}`;
    const before = this.partitions.get(key);
    if (before?.inFlight !== undefined) await before.inFlight;
    if (before !== undefined && before.error !== undefined) {
      // The consumer's own errors (a lost membership, a broker away) go to kafkajs as before, one
      // batch later; what the failed batch produced waits in the outbox for the next flush.
      const error = before.error;
      before.error = undefined;
      throw error;
    }
    // Not running, or a seek pending (the batch before failed and the partition is read again
    // from its checkpoint): this batch is not taken.
    if (!payload.isRunning() || payload.isStale()) return;
    const started = performance.now();
    const partition = this.partitions.get(key) ?? (await this.load(key));
    // Messages covered by the checkpoint are resolved too, or a batch entirely below it is
    // fetched forever.
    const chunks: BatchMessage[][] = [];
    let chunk: BatchMessage[] = [];
    let chunkBytes = 0;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      if (offset < partition.skipBelow) continue;
      chunk.push({ value: message.value, position: offset });
      chunkBytes += message.value?.byteLength ?? 0;
      if (chunk.length >= CHUNK_MESSAGES || chunkBytes >= CHUNK_BYTES) {
        chunks.push(chunk);
        chunk = [];
        chunkBytes = 0;
      }
    }
    if (chunk.length > 0) chunks.push(chunk);
    const last = batch.messages.at(-1);
    if (last !== undefined) payload.resolveOffset(last.offset);
    const work = this.finish(key, partition, chunks, batch, started);
    partition.inFlight = work;
    this.inFlight.add(work);
    void work.then(() => {
      this.inFlight.delete(work);
      if (partition.inFlight === work) partition.inFlight = undefined;
    });
    await payload.heartbeat();
  }

  /**
   * Feeds a batch's chunks, drains the live runs, flushes the ledger and checkpoints when due.
   * Never rejects: a pipeline failure reloads the partition from its checkpoint, the consumer's
   * own failure is kept for the partition's next batch.
   */
  private async finish(key: string, partition: PartitionState, chunks: readonly BatchMessage[][], batch: EachBatchPayload['batch'], started: number): Promise<void> {
    const source = `${batch.topic}/${batch.partition}`;
    const { metrics, outbox } = this.deps;
    const spill = (): Promise<void> | undefined => (outbox.full ? outbox.flush() : undefined);
    try {
      for (const messages of chunks) {
        try {
          await partition.engine.feed(messages, source, spill);
        } catch (error) {
          // Nothing of this batch is committed; the partition is read again from its checkpoint.
          this.fail(key, partition, error instanceof Error ? error : new Error(String(error)));
          return;
        }
        partition.nextOffset = (messages.at(-1)?.position ?? partition.nextOffset - 1) + 1;
        partition.dirty = true;
      }
      const parsed = partition.engine.parsed;
      metrics.records.inc({ source: batch.topic, outcome: 'parsed' }, parsed - partition.countedParsed);
      partition.countedParsed = parsed;
      // Live actions run before anything is committed; a slow backend slows consumption instead of
      // letting work pile up in memory.
      await partition.engine.drain();
      await this.deps.flushLedger();
      // Moved to another replica (or failed and reloaded) meanwhile: nothing more is checkpointed.
      if (!this.owns(key, partition)) return;
      if (this.deps.clock.now() - partition.lastCheckpoint >= this.deps.checkpointEveryMs) await this.checkpoint(key, partition, true);
      this.deps.afterBatch();
      metrics.trackedEntities.set([...this.partitions.values()].reduce((n, p) => n + p.engine.trackedEntities, 0));
      const lag = Number(batch.highWatermark) - partition.nextOffset;
      metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
      metrics.batchSeconds.observe({ topic: batch.topic }, (performance.now() - started) / 1000);
    } catch (error) {
      if (!this.owns(key, partition)) {
        this.deps.logger.warn({ err: safeError(error), partition: key }, 'a batch of a partition no longer assigned here failed to finish; its new owner reads it again');
        return;
      }
      this.deps.logger.error({ err: safeError(error), partition: key }, 'a batch failed to finish; the consumer takes the error with the partition\'s next batch');
      partition.error = error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Whether `partition` is still the state this replica holds for `key` (not moved away, failed or reloaded). */
  private owns(key: string, partition: PartitionState): boolean {
    return this.partitions.get(key) === partition;
  }

  /** Drops a failed partition and seeks back to its last checkpoint; the next batch reloads it. */
  private fail(key: string, partition: PartitionState, error: Error): void {
    // The partition may have been reloaded meanwhile (its worker died, then a batch came): leave the new one be.
    if (!this.owns(key, partition)) return;
    this.partitions.delete(key);
    partition.engine.close();
    const [topic, number] = splitPartitionKey(key);
    this.deps.logger.error({ err: safeError(error), partition: key, resumeAt: partition.resumeAt }, 'a partition\'s pipeline failed; reading it again from its last checkpoint');
    this.deps.seek(topic, number, String(partition.resumeAt));
  }

  /** Outputs first (acks=all), then the checkpoint, then the offset: never the other way round. */
  private async checkpoint(key: string, partition: PartitionState, commit: boolean): Promise<void> {
    if (!partition.dirty) return;
    await this.deps.flushLedger();
    const resume = partition.engine.resumePosition(partition.nextOffset);
    const checkpoint: Checkpoint = { version: 1, nextOffset: resume.toString(), processedUpTo: partition.nextOffset.toString(), state: await partition.engine.state() };
    await this.deps.checkpoints.write(key, checkpoint, commit);
    await this.deps.afterCheckpoint();
    partition.resumeAt = resume;
    partition.lastCheckpoint = this.deps.clock.now();
    partition.dirty = false;
  }

  private async load(key: string): Promise<PartitionState> {
    let saved = await this.deps.checkpoints.read(key);
    const build = (checkpoint: Checkpoint | undefined): Promise<PartitionEngine> =>
      this.deps.createPipeline(key, checkpoint?.state ?? {}, checkpoint?.processedUpTo !== undefined ? Number(checkpoint.processedUpTo) : undefined);
    let engine: PartitionEngine;
    try {
      engine = await build(saved);
    } catch (error) {
      // A checkpoint this version cannot apply must not stop the partition for good.
      this.deps.onUnusable(key, `its state does not load: ${describeError(error)}`);
      saved = undefined;
      engine = await build(undefined);
    }
    const skipBelow = saved ? Number(saved.nextOffset) : 0;
    const state: PartitionState = {
      engine, skipBelow, nextOffset: skipBelow, resumeAt: skipBelow, lastCheckpoint: this.deps.clock.now(), dirty: false, countedParsed: 0,
      inFlight: undefined, error: undefined,
    };
    this.partitions.set(key, state);
    this.deps.logger.info({ partition: key, resumedAt: saved?.nextOffset ?? null }, saved ? 'partition resumed from its checkpoint' : 'partition starts with fresh baselines');
    return state;
  }
}
