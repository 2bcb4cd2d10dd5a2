import { DEFAULT_PIPELINE_OPTIONS, Pipeline, type PipelineOptions, type PipelineState } from '../app.js';
import type { ServiceConfig } from '../config/service-config.js';
import type { Anomaly } from '../detect/anomaly.js';
import type { AutoencoderDetector } from '../detect/autoencoder/autoencoder-detector.js';
import type { DetectorSpec } from '../detect/detector-spec.js';
import type { IncidentSink } from '../outputs/incident-sink.js';
import type { StoredDeadLetter } from '../parse/records.js';
import type { PlaybookSpec } from '../playbook/playbook-spec.js';
import type { RunExecutor } from '../playbook/run-executor.js';
import type { SafetyGuard, SafetyPolicy } from '../playbook/safety-guard.js';
import type { Clock } from '../shared/clock.js';
import type { DetectionPool } from '../workers/detection-pool.js';
import { WorkerPipeline } from '../workers/worker-pipeline.js';
import type { AuditTee } from './audit-tee.js';
import { inThreadEngine, type PartitionEngine } from './partition-engine.js';
import type { ServiceOutbox } from './service-outbox.js';

/** The detectors, playbooks and rails every partition's pipeline is built with (replaced whole on a reload). */
export interface PipelineSetup {
  readonly detectors: DetectorSpec[];
  readonly playbooks: PlaybookSpec[];
  readonly policy: SafetyPolicy;
}

/** What a partition's engine is built with besides the partition's own state. */
export interface PartitionEngineParts {
  readonly config: ServiceConfig;
  readonly setup: PipelineSetup;
  readonly autoencoders: ReadonlyMap<string, AutoencoderDetector>;
  readonly guard: SafetyGuard;
  readonly executor: RunExecutor;
  /** The ledger, mirrored to the audit topic. */
  readonly audit: AuditTee;
  /** Dead letters and anomalies go to their topics through it. */
  readonly outbox: ServiceOutbox;
  /** Where incidents are reported; undefined when no incident output is enabled. */
  readonly incidents: IncidentSink | undefined;
  /** Detection worker threads; undefined: detection runs on the main thread. */
  readonly workers: DetectionPool | undefined;
  readonly clock: Clock;
}

/**
 * Builds the engine of partition `key` from its checkpointed `state`: its detection on the worker
 * pool when the service has one, else a pipeline in this thread. Input positions below
 * `replayBelow` were processed before a restart: replayed, not new.
 */
export async function openPartitionEngine(key: string, state: PipelineState, replayBelow: number | undefined, parts: PartitionEngineParts): Promise<PartitionEngine> {
  const { config, setup, outbox, incidents } = parts;
  // Live event time follows the wall clock: nothing more than the skew ahead of it is admitted.
  const options: PipelineOptions = {
    ...DEFAULT_PIPELINE_OPTIONS,
    features: { ...DEFAULT_PIPELINE_OPTIONS.features, trustedProxyHops: config.trustedProxyHops, maxEntities: config.maxEntities },
    dryRun: config.dryRun, collect: false, safety: setup.policy, eventTime: { ...DEFAULT_PIPELINE_OPTIONS.eventTime, wallClock: true },
  };
  const sinks = {
    deadLetters: { add: (letter: StoredDeadLetter) => { outbox.deadLetter(letter); } },
    ledger: parts.audit,
    anomalies: { add: (anomaly: Anomaly) => { outbox.anomaly(anomaly); } },
    ...(incidents ? { incidents } : {}),
  };
  const shared = { guard: parts.guard, executor: parts.executor, autoencoders: parts.autoencoders, clock: parts.clock, ...(replayBelow !== undefined ? { replayBelow } : {}) };
  if (parts.workers !== undefined) {
    return WorkerPipeline.open({ pool: parts.workers, id: key, detectors: setup.detectors, playbooks: setup.playbooks, options, sinks, state, shared });
  }
  return inThreadEngine(new Pipeline(setup.detectors, setup.playbooks, options, sinks, state, shared));
}
