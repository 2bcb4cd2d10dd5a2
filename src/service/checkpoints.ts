import { randomBytes } from 'node:crypto';
import { CompressionTypes, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { z } from 'zod';
import type { PipelineState } from '../app.js';
import { readToEnd } from '../kafka/read-to-end.js';
import { describeZodIssues } from '../shared/describe-issues.js';
import type { Logger } from '../shared/logger.js';

/** The state topic's message limit (compressed): room for the checkpoint of a busy partition. */
export const STATE_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * A partition's saved state. `nextOffset` is where a restart resumes reading: the earliest record
 * still held only in an open window (so none is lost); records from there up to `processedUpTo`
 * are replayed to rebuild those windows, and the ones whose windows had closed are recognised.
 */
export interface Checkpoint {
  readonly version: 1;
  readonly nextOffset: string;
  readonly processedUpTo?: string;
  readonly state: PipelineState;
}

/** What a checkpoint must look like to be used; its `state` is checked as the pipeline loads it. */
const checkpointSchema = z.object({
  version: z.literal(1),
  nextOffset: z.string().regex(/^\d+$/),
  processedUpTo: z.string().regex(/^\d+$/).exactOptional(),
  state: z.record(z.string(), z.unknown()),
});

/** What the checkpoint store works with. */
export interface CheckpointDeps {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  readonly consumer: Consumer;
  readonly stateTopic: string;
  readonly groupId: string;
  readonly logger: Logger;
  /** A checkpoint that cannot be used: the caller records it (log and ledger). */
  readonly onUnusable: (partition: string, why: string) => void;
}

/**
 * Per-partition checkpoints on the compacted state topic, keyed `topic:partition`. Writing one is
 * the caller's last step before committing its offset: outputs first, then the checkpoint, then
 * the offset, never the other way round.
 */
export class CheckpointStore {
  constructor(private readonly deps: CheckpointDeps) {}

  /** Reads the state topic to its end and returns the latest usable checkpoint of `key`. */
  async read(key: string): Promise<Checkpoint | undefined> {
    let latest: string | undefined;
    // A group of its own per read: partitions consumed side by side load their checkpoints at once.
    await readToEnd(this.deps.kafka, this.deps.admin, this.deps.stateTopic, `${this.deps.groupId}-state-${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`, (message) => {
      if (message.key?.toString() === key) latest = message.value === null ? undefined : message.value.toString('utf8');
    });
    if (latest === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(latest);
    } catch {
      this.deps.onUnusable(key, 'it is not JSON');
      return undefined;
    }
    const parsed = checkpointSchema.safeParse(raw);
    if (!parsed.success) {
      this.deps.onUnusable(key, `it is not a version 1 checkpoint (${describeZodIssues(parsed.error)})`);
      return undefined;
    }
    return parsed.data;
  }

  /**
   * Writes `checkpoint` for `key`, then (unless `commit` is false) commits its resume offset.
   * @param commit false once the consumer has stopped (its group is gone): the checkpoint carries
   *   its own offset and resumption honours it, so the commit is only a shortcut.
   */
  async write(key: string, checkpoint: Checkpoint, commit: boolean): Promise<void> {
    const value = JSON.stringify(checkpoint);
    // Baselines of a few thousand entities pass Kafka's default 1 MB message limit as JSON: the
    // state topic allows STATE_MAX_MESSAGE_BYTES and checkpoints travel gzipped (~30x smaller).
    if (value.length > STATE_MAX_MESSAGE_BYTES) {
      this.deps.logger.warn({ partition: key, bytes: value.length }, 'a large checkpoint (uncompressed): consider more partitions for this topic');
    }
    await this.deps.producer.send({ topic: this.deps.stateTopic, acks: -1, compression: CompressionTypes.GZIP, messages: [{ key, value }] });
    if (commit) {
      const [topic, partition] = splitPartitionKey(key);
      await this.deps.consumer.commitOffsets([{ topic, partition, offset: checkpoint.nextOffset }]);
    }
  }
}

/** `topic:partition` back into its parts (split at the last colon). */
export function splitPartitionKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
