import type { PipelineShared, PipelineState } from '../app.js';
import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import { DeferredScoring } from '../pipeline/deferred-scoring.js';
import { LearnedCallGraph } from '../pipeline/learned-call-graph.js';
import type { DeadLetterSink, PipelineOptions } from '../pipeline/pipeline-types.js';
import { ResponseStage, type ResponseSinks } from '../pipeline/response-stage.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import type { PartitionEngine, Spill } from '../service/partition-engine.js';
import type { Clock } from '../shared/clock.js';
import type { BatchResult } from './detection-protocol.js';
import type { DetectionPool } from './detection-pool.js';
import { DetectionWorkerError } from './detection-pool.js';
import type { BatchMessage } from './message-batch.js';
import { RemoteDetection } from './remote-detection.js';

/** What a worker pipeline is built from. */
export interface WorkerPipelineSetup {
  readonly pool: DetectionPool;
  /** The partition (`topic:partition`), pinned to one worker for its life. */
  readonly id: string;
  readonly detectors: readonly DetectorSpec[];
  readonly playbooks: readonly PlaybookSpec[];
  readonly options: PipelineOptions;
  readonly sinks: ResponseSinks & { readonly deadLetters: DeadLetterSink };
  readonly state: PipelineState;
  readonly shared: PipelineShared & { readonly clock: Clock; readonly autoencoders: ReadonlyMap<string, AutoencoderDetector> };
}

/**
 * One partition's pipeline with its detection on a worker thread: batches go to the worker, and
 * what comes back (dead letters, closed window groups, what was learned of the call graph) is
 * applied here, in order: the autoencoders score their windows, the response stage acts.
 */
export class WorkerPipeline implements PartitionEngine {
  private readonly response: ResponseStage;
  private readonly scoring: DeferredScoring;
  private readonly graph: LearnedCallGraph;
  /** Set when a request failed: the partition must be reloaded from its checkpoint. */
  private failure: Error | undefined;

  private constructor(private readonly setup: WorkerPipelineSetup, private readonly detection: RemoteDetection) {
    const { options, sinks, state, shared } = setup;
    this.graph = new LearnedCallGraph(options.features.maxEntities, state.features);
    this.scoring = new DeferredScoring(setup.detectors, shared.autoencoders);
    this.response = new ResponseStage(setup.playbooks, options, sinks, this.graph.view, state, {
      ...(shared.guard ? { guard: shared.guard } : {}),
      ...(shared.executor ? { executor: shared.executor } : {}),
    });
  }

  /** Opens the partition's detection on its worker (rejects when its saved state does not load there). */
  static async open(setup: WorkerPipelineSetup): Promise<WorkerPipeline> {
    const { state } = setup;
    const detection = await RemoteDetection.open(setup.pool, setup.id, {
      detectors: setup.detectors, options: setup.options, clock: setup.shared.clock,
      state: {
        ...(state.clock ? { clock: state.clock } : {}), ...(state.eventTime ? { eventTime: state.eventTime } : {}),
        ...(state.features ? { features: state.features } : {}), ...(state.detectors ? { detectors: state.detectors } : {}),
      },
      ...(setup.shared.replayBelow !== undefined ? { replayBelow: setup.shared.replayBelow } : {}),
    });
    return new WorkerPipeline(setup, detection);
  }

  async feed(messages: readonly BatchMessage[], source: string, spill: Spill): Promise<void> {
    this.check();
    this.apply(await this.detection.feed(messages, source));
    await spill();
  }

  drain(): Promise<void> {
    return this.response.drain();
  }

  resumePosition(next: number): number {
    return this.detection.resumePosition(next);
  }

  async state(): Promise<PipelineState> {
    this.check();
    const detection = await this.detection.state();
    return { ...detection, ...this.response.state() };
  }

  get parsed(): number {
    return this.detection.counters.parsed;
  }

  get trackedEntities(): number {
    return this.detection.trackedEntities;
  }

  reconfigure(detectors: readonly DetectorSpec[], playbooks: readonly PlaybookSpec[], fresh: ReadonlySet<string>, autoencoders?: ReadonlyMap<string, AutoencoderDetector>): void {
    // The worker takes the switch between the batches before and after it, like a pipeline here.
    this.detection.reconfigure(detectors, fresh).catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
    });
    this.scoring.reconfigure(detectors, autoencoders ?? this.setup.shared.autoencoders);
    this.response.reconfigure(playbooks);
  }

  close(): void {
    // A worker that died already took the state with it; the pin goes either way.
    this.detection.close().catch(() => undefined);
  }

  private check(): void {
    if (this.failure !== undefined) throw new DetectionWorkerError(`the partition's detection worker failed: ${this.failure.message}`, [this.setup.id]);
  }

  private apply(result: BatchResult): void {
    const { sinks } = this.setup;
    for (const letter of result.deadLetters) sinks.deadLetters.add(letter);
    for (const event of result.events) {
      if (event.kind === 'learned') this.graph.apply(event.learned);
      else this.response.group(this.scoring.complete(event.group));
    }
  }
}
