import type { EachBatchPayload } from 'kafkajs';
import type { PipelineState } from '../app.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { safeError } from '../shared/safe-error.js';
import type { EngineMetrics } from '../server/metrics.js';
import type { BatchMessage } from '../workers/message-batch.js';
import type { Checkpoint, CheckpointStore } from './checkpoints.js';
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
 */
export class PartitionConsumer {
  private readonly partitions = new Map<string, PartitionState>();

  constructor(private readonly deps: PartitionConsumerDeps) {}

  /** After a rebalance: a partition that moved to another replica is that replica's now. */
  keepOnly(assigned: ReadonlySet<string>): void {
    for (const [key, partition] of this.partitions) {
      if (assigned.has(key)) continue;
      this.partitions.delete(key);
      partition.engine.close();
    }
  }

  /** The pipelines of the partitions assigned now (a configuration reload switches each). */
  pipelines(): PartitionEngine[] {
    return [...this.partitions.values()].map((p) => p.engine);
  }

  /** Partitions whose pipeline was lost (their worker died): read again from their checkpoints. */
  lost(keys: readonly string[], error: Error): void {
    for (const key of keys) this.fail(key, error);
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
    const spill = async (): Promise<void> => { if (outbox.full) await outbox.flush(); };
    // Whether to go on (running, no seek pending) can only change while the loop awaits: it is
    // read again after each chunk. Messages covered by the checkpoint are resolved too, or a batch
    // entirely below it is fetched forever.
    let proceed = payload.isRunning() && !payload.isStale();
    let handled: string | undefined;
    let chunk: BatchMessage[] = [];
    let chunkBytes = 0;
    const feed = async (): Promise<void> => {
      if (chunk.length > 0) {
        const messages = chunk;
        chunk = [];
        chunkBytes = 0;
        try {
          await partition.engine.feed(messages, source, spill);
        } catch (error) {
          throw new PipelineFailure(error);
        }
        partition.nextOffset = (messages.at(-1)?.position ?? partition.nextOffset - 1) + 1;
        partition.dirty = true;
      }
      if (handled !== undefined) payload.resolveOffset(handled);
      handled = undefined;
      await payload.heartbeat();
      proceed = payload.isRunning() && !payload.isStale();
    };
    try {
      for (const message of batch.messages) {
        if (!proceed) break;
        const offset = Number(message.offset);
        if (offset >= partition.skipBelow) {
          chunk.push({ value: message.value, position: offset });
          chunkBytes += message.value?.byteLength ?? 0;
        }
        handled = message.offset;
        if (chunk.length >= CHUNK_MESSAGES || chunkBytes >= CHUNK_BYTES) await feed();
      }
      if (proceed) await feed();
    } catch (error) {
      // The consumer's own errors (a rebalance, a lost membership) go to kafkajs as before.
      if (!(error instanceof PipelineFailure)) throw error;
      // Nothing of this batch is committed; the partition is read again from its checkpoint.
      this.fail(key, error.failure);
      return;
    }
    const parsed = partition.engine.parsed;
    metrics.records.inc({ source: batch.topic, outcome: 'parsed' }, parsed - partition.countedParsed);
    partition.countedParsed = parsed;
    // Live actions run before anything is committed; a slow backend slows consumption instead of
    // letting work pile up in memory.
    await partition.engine.drain();
    await this.deps.flushLedger();
    if (this.deps.clock.now() - partition.lastCheckpoint >= this.deps.checkpointEveryMs) await this.checkpoint(key, partition, true);
    this.deps.afterBatch();
    metrics.trackedEntities.set([...this.partitions.values()].reduce((n, p) => n + p.engine.trackedEntities, 0));
    const lag = Number(batch.highWatermark) - partition.nextOffset;
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
    metrics.batchSeconds.observe({ topic: batch.topic }, (performance.now() - started) / 1000);
    await payload.heartbeat();
  }

  /** Drops a failed partition and seeks back to its last checkpoint; the next batch reloads it. */
  private fail(key: string, error: Error): void {
    const partition = this.partitions.get(key);
    if (partition === undefined) return;
    this.partitions.delete(key);
    partition.engine.close();
    const [topic, number] = splitKey(key);
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
    const state: PartitionState = { engine, skipBelow, nextOffset: skipBelow, resumeAt: skipBelow, lastCheckpoint: this.deps.clock.now(), dirty: false, countedParsed: 0 };
    this.partitions.set(key, state);
    this.deps.logger.info({ partition: key, resumedAt: saved?.nextOffset ?? null }, saved ? 'partition resumed from its checkpoint' : 'partition starts with fresh baselines');
    return state;
  }
}

/** A partition's pipeline failed (not the consumer): what `batch` recovers from by reloading it. */
class PipelineFailure extends Error {
  readonly failure: Error;

  constructor(cause: unknown) {
    super('the partition\'s pipeline failed', { cause });
    this.failure = cause instanceof Error ? cause : new Error(String(cause));
  }
}

/** `topic:partition` back into its parts (split at the last colon). */
function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
