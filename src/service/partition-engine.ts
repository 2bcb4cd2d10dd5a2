import type { Pipeline, PipelineState } from '../app.js';
import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import type { BatchMessage } from '../workers/message-batch.js';

/** Sends the outputs when they fill the outbox, then resolves; undefined when there is nothing to send. */
export type Spill = () => Promise<void> | undefined;

/**
 * One partition's pipeline as the partition consumer drives it: in this thread (a `Pipeline`), or
 * with its detection on a worker thread (`WorkerPipeline`).
 */
export interface PartitionEngine {
  /**
   * Processes `messages` in order. `spill` sends the outputs when they fill the outbox (and says
   * nothing, undefined, when they do not): called between messages in this thread, after the
   * batch's results on a worker.
   */
  feed(messages: readonly BatchMessage[], source: string, spill: Spill): Promise<void>;
  /** Executes the live runs queued (before anything is committed). */
  drain(): Promise<void>;
  resumePosition(next: number): number;
  /** What the checkpoint saves, as of the last message fed. */
  state(): Promise<PipelineState>;
  /** Parsed records so far. */
  readonly parsed: number;
  readonly trackedEntities: number;
  reconfigure(detectors: readonly DetectorSpec[], playbooks: readonly PlaybookSpec[], fresh: ReadonlySet<string>, autoencoders?: ReadonlyMap<string, AutoencoderDetector>): void;
  /** The partition is no longer this replica's (or its worker died): frees what it holds. */
  close(): void;
}

/** A pipeline running in this thread, as a partition engine. */
export function inThreadEngine(pipeline: Pipeline): PartitionEngine {
  return {
    async feed(messages, source, spill) {
      for (const message of messages) {
        const origin = { source, position: message.position };
        if (message.value === null) pipeline.reject({ code: 'empty', reason: 'message without a value (tombstone)', raw: '', origin });
        else pipeline.ingest(typeof message.value === 'string' ? message.value : Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength).toString('utf8'), origin);
        // Awaited only when it sends: an await per message costs a promise and a turn of the microtask queue.
        const spilled = spill();
        if (spilled !== undefined) await spilled;
      }
    },
    drain: () => pipeline.drain(),
    resumePosition: (next) => pipeline.resumePosition(next),
    state: () => Promise.resolve(pipeline.state()),
    get parsed() {
      return pipeline.counters.parsed;
    },
    get trackedEntities() {
      return pipeline.trackedEntities;
    },
    reconfigure: (detectors, playbooks, fresh, autoencoders) => { pipeline.reconfigure(detectors, playbooks, fresh, autoencoders); },
    close: () => undefined,
  };
}
