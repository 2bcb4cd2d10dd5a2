import type { EachBatchPayload } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../../src/app.js';
import { createMetrics } from '../../../src/server/metrics.js';
import type { Checkpoint, CheckpointStore } from '../../../src/service/checkpoints.js';
import type { PartitionEngine } from '../../../src/service/partition-engine.js';
import { PartitionConsumer } from '../../../src/service/partition-consumer.js';
import type { ServiceOutbox } from '../../../src/service/service-outbox.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import type { BatchMessage } from '../../../src/workers/message-batch.js';

/** A promise settled from outside. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** A partition engine whose batches finish when the test says so. */
class HeldEngine implements PartitionEngine {
  readonly fed: number[][] = [];
  readonly holds: ReturnType<typeof deferred>[] = [];
  closed = false;
  parsed = 0;
  readonly trackedEntities = 0;

  async feed(messages: readonly BatchMessage[]): Promise<void> {
    this.fed.push(messages.map((m) => m.position));
    const hold = deferred();
    this.holds.push(hold);
    await hold.promise;
    this.parsed += messages.length;
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  resumePosition(next: number): number {
    return next;
  }

  state(): Promise<PipelineState> {
    return Promise.resolve({});
  }

  reconfigure(): void {}

  close(): void {
    this.closed = true;
  }
}

interface Harness {
  readonly consumer: PartitionConsumer;
  readonly engines: HeldEngine[];
  readonly written: { key: string; checkpoint: Checkpoint; commit: boolean }[];
  readonly seeks: { topic: string; partition: number; offset: string }[];
  failWrite?: Error | undefined;
}

function harness(): Harness {
  const engines: HeldEngine[] = [];
  const written: Harness['written'] = [];
  const seeks: Harness['seeks'] = [];
  const h: Harness = { engines, written, seeks } as Harness;
  const checkpoints = {
    read: () => Promise.resolve(undefined),
    write: (key: string, checkpoint: Checkpoint, commit: boolean) => {
      if (h.failWrite) return Promise.reject(h.failWrite);
      written.push({ key, checkpoint, commit });
      return Promise.resolve();
    },
  } as unknown as CheckpointStore;
  const outbox = { full: false, flush: () => Promise.resolve() } as unknown as ServiceOutbox;
  (h as { consumer: PartitionConsumer }).consumer = new PartitionConsumer({
    createPipeline: () => {
      const engine = new HeldEngine();
      engines.push(engine);
      return Promise.resolve(engine);
    },
    checkpoints, outbox,
    flushLedger: () => Promise.resolve(),
    afterCheckpoint: () => Promise.resolve(),
    afterBatch: () => undefined,
    onUnusable: () => undefined,
    seek: (topic, partition, offset) => { seeks.push({ topic, partition, offset }); },
    // A checkpoint (and commit) after every batch.
    checkpointEveryMs: 0,
    metrics: createMetrics(), clock: new ManualClock(0), logger: silentLogger(),
  });
  return h;
}

/** A kafkajs batch of `offsets` on topic `t`, partition 0; `stale` says a seek is pending. */
function payload(offsets: number[], seekPending: () => boolean = () => false): EachBatchPayload & { resolved: string[] } {
  const resolved: string[] = [];
  return {
    batch: {
      topic: 't', partition: 0, highWatermark: String((offsets.at(-1) ?? 0) + 1),
      messages: offsets.map((offset) => ({ offset: String(offset), value: Buffer.from(`line ${offset}`) })),
    },
    resolveOffset: (offset: string) => { resolved.push(offset); },
    heartbeat: () => Promise.resolve(),
    isRunning: () => true,
    isStale: seekPending,
    resolved,
  } as unknown as EachBatchPayload & { resolved: string[] };
}

/** Lets every settled promise's continuations run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

describe('PartitionConsumer', () => {
  it('hands a batch on and returns before its detection is done, so the next fetch overlaps it; the partition\'s next batch waits', async () => {
    const h = harness();
    const first = payload([0, 1, 2]);
    await h.consumer.batch(first);
    // Returned with the batch still on its engine: the fetch position moved, nothing is committed.
    expect(h.engines[0]?.fed).toEqual([[0, 1, 2]]);
    expect(first.resolved).toEqual(['2']);
    expect(h.written).toHaveLength(0);

    let secondReturned = false;
    const second = h.consumer.batch(payload([3, 4])).then(() => { secondReturned = true; });
    await settle();
    // One batch at a time per partition: the second is not read while the first is unfinished.
    expect(secondReturned).toBe(false);
    expect(h.engines[0]?.fed).toEqual([[0, 1, 2]]);

    h.engines[0]?.holds[0]?.resolve();
    await second;
    // The first batch was checkpointed and committed before the second was fed.
    expect(h.written.map((w) => [w.checkpoint.nextOffset, w.commit])).toEqual([['3', true]]);
    expect(h.engines[0]?.fed).toEqual([[0, 1, 2], [3, 4]]);
    h.engines[0]?.holds[1]?.resolve();
    await h.consumer.checkpointAll(false);
    expect(h.written.map((w) => w.checkpoint.nextOffset)).toEqual(['3', '5']);
  });

  it('a batch in flight when its partition moves to another replica finishes without a checkpoint or a commit', async () => {
    const h = harness();
    await h.consumer.batch(payload([0, 1]));
    h.consumer.keepOnly(new Set());
    // The engine is closed only once its batch is done with it.
    expect(h.engines[0]?.closed).toBe(false);
    h.engines[0]?.holds[0]?.resolve();
    await h.consumer.checkpointAll(true);
    expect(h.written).toHaveLength(0);
    expect(h.engines[0]?.closed).toBe(true);
  });

  it('a pipeline that fails in a batch handed on is read again from its checkpoint, and the batch fetched meanwhile is not taken', async () => {
    const h = harness();
    await h.consumer.batch(payload([0, 1]));
    h.engines[0]?.holds[0]?.resolve();
    await settle();
    expect(h.written.map((w) => w.checkpoint.nextOffset)).toEqual(['2']);
    await h.consumer.batch(payload([2, 3]));
    h.engines[0]?.holds[1]?.reject(new Error('detection worker died'));
    // Fetched before the failure: kafkajs reports it stale once the seek is pending.
    await h.consumer.batch(payload([4, 5], () => h.seeks.length > 0));
    expect(h.seeks).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
    expect(h.engines[0]?.closed).toBe(true);
    expect(h.engines).toHaveLength(1);
    expect(h.written.map((w) => w.checkpoint.nextOffset)).toEqual(['2']);
    // Read again from the checkpoint: a fresh pipeline takes offsets 2 on.
    await h.consumer.batch(payload([2, 3, 4, 5]));
    expect(h.engines[1]?.fed).toEqual([[2, 3, 4, 5]]);
  });

  it('the consumer\'s own failure in a batch handed on reaches kafkajs with the partition\'s next batch', async () => {
    const h = harness();
    h.failWrite = new Error('not the coordinator');
    await h.consumer.batch(payload([0]));
    h.engines[0]?.holds[0]?.resolve();
    await expect(h.consumer.batch(payload([1]))).rejects.toThrow('not the coordinator');
    // Thrown once: kafkajs retries the batch, which is then taken.
    h.failWrite = undefined;
    await h.consumer.batch(payload([1]));
    expect(h.engines[0]?.fed).toEqual([[0], [1]]);
  });

  it('a stop waits for the batches in flight before the last checkpoint', async () => {
    const h = harness();
    await h.consumer.batch(payload([0, 1, 2]));
    let stopped = false;
    const stop = h.consumer.checkpointAll(false).then(() => { stopped = true; });
    await settle();
    expect(stopped).toBe(false);
    h.engines[0]?.holds[0]?.resolve();
    await stop;
    expect(h.written.map((w) => w.checkpoint.nextOffset)).toEqual(['3']);
  });
});
