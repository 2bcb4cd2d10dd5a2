/**
 * The cluster service: Kafka consumer group over the three input topics, one pipeline per
 * partition (its detector state belongs to the partition), outputs to the dead-letter, anomaly and
 * audit topics, live actions through the shared executor, HTTP health/readiness/metrics.
 *
 * Delivery: at least once. For each partition the service writes a checkpoint (detector state and
 * the next offset) to a compacted topic and only then commits that offset; every output of the
 * records before it was produced (acks=all) before the checkpoint. After a crash or a rebalance the
 * new owner loads the checkpoint and skips what it covers, so baselines resume exactly and replayed
 * records produce the same anomaly ids and the same action idempotency keys (no action twice).
 *
 * This file wires the parts, each in `src/service/`: the Kafka connection and the output topics
 * it creates (output-topics.ts), the partition consumer, each partition's engine in this thread
 * or on the worker pool (partition-pipelines.ts), checkpoints, the outbox and its audit tee,
 * approval forwarding, housekeeping, the step reporter, the rails' state file, the executor of
 * live runs and its run claims (build-executor.ts), and the changes a person makes through the
 * console or Slack (person-changes.ts).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type KafkaConfig } from 'kafkajs';
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_PIPELINE_OPTIONS, type PipelineState } from './app.js';
import { loadAutoencoders } from './detect/autoencoder/load-autoencoders.js';
import type { AutoencoderDetector } from './detect/autoencoder/autoencoder-detector.js';
import type { ActionDeps, ActionResult } from './actions/action-context.js';
import type { ActionsBlock } from './actions/slack/block-kit.js';
import { ClusterRails } from './coordination/cluster-rails.js';
import type { QuarantineBudgetDeps } from './coordination/quarantine-sweep.js';
import { Ledger } from './audit/ledger.js';
import { serviceLedgerSigning } from './audit/service-ledger-signing.js';
import { checkpointMessage } from './audit/topic-copy.js';
import type { ServiceConfig } from './config/service-config.js';
import type { ApprovalService } from './approvals/approval-service.js';
import type { ReleaseTarget } from './approvals/release-button.js';
import { FileSilenceStore } from './silences/file-silence-store.js';
import { SilenceCache } from './silences/silence-cache.js';
import type { SilenceStore } from './silences/silence-store.js';
import type { StoredSilence } from './silences/silence.js';
import type { SilenceActor } from './silences/silence-record.js';
import type { RunExecutor } from './playbook/run-executor.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type SafetyPolicy } from './playbook/safety-guard.js';
import type { Clock } from './shared/clock.js';
import { ConfigError, describeError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import type { EngineMetrics } from './server/metrics.js';
import { describeSafely, safeError } from './shared/safe-error.js';
import { startApprovalForwarding } from './service/approval-forwarding.js';
import { teeLedger, type AuditTee } from './service/audit-tee.js';
import { buildExecutor, claimStore } from './service/build-executor.js';
import { buildOutputs, type Outputs } from './outputs/build-outputs.js';
import { CheckpointStore } from './service/checkpoints.js';
import { readGuardState, writeGuardState } from './service/guard-state-file.js';
import { Housekeeping } from './service/housekeeping.js';
import { inputTopics } from './service/input-topics.js';
import { KafkaConnection } from './service/kafka-connection.js';
import { ensureOutputTopics } from './service/output-topics.js';
import { PartitionConsumer } from './service/partition-consumer.js';
import { PersonChanges } from './service/person-changes.js';
import type { PartitionEngine } from './service/partition-engine.js';
import { openPartitionEngine, type PipelineSetup } from './service/partition-pipelines.js';
import { DetectionPool, defaultWorkerCount } from './workers/detection-pool.js';
import { ServiceOutbox } from './service/service-outbox.js';
import { StepReporter } from './service/step-reporter.js';
import type { ReloadOutcome } from './service/config-reloader.js';
import { loadServiceConfigSet, startConfigReload, type ConfigReload } from './service/start-config-reload.js';

/**
 * How long a quarantined pod holds its blast-radius slot across replicas when nothing releases it
 * through the engine (a release frees it at once).
 */
const QUARANTINE_SLOT_HOLD_MS = 7 * 24 * 3_600_000;

/** What the service is built from; clients are passed in so tests use the real ones on loopback. */
export interface ServiceDeps {
  readonly config: ServiceConfig;
  readonly kafka: KafkaConfig;
  readonly kube?: KubeConfig;
  readonly actionDeps: Omit<ActionDeps, 'clock' | 'logger'>;
  /** Slack approvals; without them every approval step denies (deny by default). */
  readonly approvals?: ApprovalService;
  /** The "Release pod" button put under each quarantine's line in its incident thread (`slack.releasers`). */
  readonly releaseButton?: (target: ReleaseTarget) => ActionsBlock;
  /** Where silences live (see silence-store-for.ts); default: `<stateDir>/silences.json`. */
  readonly silences?: SilenceStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: EngineMetrics;
}

/** What exists only once the service started: built together in `start`. */
interface Started {
  readonly ledger: Ledger;
  /** The ledger, mirrored to the audit topic: what every record goes through. */
  readonly audit: AuditTee;
  readonly guard: SafetyGuard;
  readonly executor: RunExecutor;
  readonly housekeeping: Housekeeping;
  readonly quarantine: QuarantineBudgetDeps;
  readonly silences: SilenceCache;
  readonly stopExpiry: (() => void) | undefined;
}

/** The running service. */
export class MeshwardenService {
  private readonly kafka: Kafka;
  private readonly connection: KafkaConnection;
  private readonly outbox: ServiceOutbox;
  private readonly checkpoints: CheckpointStore;
  private readonly partitions: PartitionConsumer;
  /** Detection worker threads (absent: detection runs on the main thread). */
  readonly detectionWorkers: DetectionPool | undefined;
  /** Alertmanager, the webhook and Kubernetes Events: fed from the stream, delivered beside it. */
  private outputs: Outputs | undefined;
  private readonly reporter: StepReporter;
  private readonly topics: ServiceConfig['kafka']['topics'];
  /** The clients actions run with, with the service's clock and logger. */
  private readonly actionDeps: ActionDeps;
  private started: Started | undefined;
  private autoencoders: ReadonlyMap<string, AutoencoderDetector> = new Map();
  private forwarded: Consumer | undefined;
  private configReload: ConfigReload | undefined;
  private joined = false;
  private stopping = false;
  /** What a person changes through the console API or Slack (silences, releases, decisions). */
  private readonly personChanges: PersonChanges;

  constructor(private readonly deps: ServiceDeps) {
    const { config, logger, metrics, clock } = deps;
    this.topics = config.kafka.topics;
    this.personChanges = new PersonChanges(() => this.started, clock, logger);
    this.actionDeps = { ...deps.actionDeps, clock, logger };
    this.kafka = new Kafka({ ...deps.kafka, logLevel: logLevel.NOTHING });
    const { groupId, sessionTimeout, heartbeatInterval } = config.kafka;
    const consumer = this.kafka.consumer({ groupId, sessionTimeout, heartbeatInterval, allowAutoTopicCreation: false, maxBytesPerPartition: 4 << 20 });
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.connection = new KafkaConnection(deps.kafka, this.kafka.admin(), producer, consumer, logger);
    this.outbox = new ServiceOutbox(producer, this.topics, metrics);
    this.checkpoints = new CheckpointStore({
      kafka: this.kafka, admin: this.connection.admin, producer, consumer, stateTopic: this.topics.state, groupId, logger,
      onUnusable: (partition, why) => { this.checkpointUnusable(partition, why); },
    });
    this.reporter = new StepReporter({
      slack: deps.actionDeps.slack, slackThreads: deps.actionDeps.slackThreads, releaseButton: deps.releaseButton,
      refusalsChannel: config.slack.refusalsChannel, metrics, clock, logger,
    });
    const workers = config.workers ?? defaultWorkerCount();
    this.detectionWorkers = workers > 1 ? new DetectionPool(workers, logger, (lost, error) => { this.partitions.lost(lost, error); }) : undefined;
    this.partitions = new PartitionConsumer({
      createPipeline: (key, state, replayBelow) => this.createPipeline(key, state, replayBelow),
      seek: (topic, partition, offset) => { this.connection.consumer.seek({ topic, partition, offset }); },
      checkpoints: this.checkpoints, outbox: this.outbox,
      flushLedger: () => this.running().audit.flush(),
      afterCheckpoint: () => writeGuardState(config.stateDir, this.started?.guard),
      // Retraining runs beside the stream; the current model keeps scoring until the new one is ready.
      afterBatch: () => {
        for (const model of this.autoencoders.values()) if (model.retrainDue) void model.maybeRetrain();
        // Dry-run steps check the silences read last: keep them within the cache period.
        void this.started?.silences.refresh();
      },
      onUnusable: (partition, why) => { this.checkpointUnusable(partition, why); },
      checkpointEveryMs: config.kafka.checkpointEvery, metrics, clock, logger,
    });
  }

  /**
   * Loads the configuration, connects, resumes unfinished runs and starts consuming. An unreachable
   * Kafka is retried with backoff (readiness says why meanwhile) until `signal` aborts.
   */
  async start(signal?: AbortSignal): Promise<void> {
    const { config, logger, clock } = this.deps;
    const loaded = await loadServiceConfigSet(config);
    if (!loaded.ok) throw new ConfigError(loaded.problems);
    const detectors = [...loaded.set.detectors];
    const playbooks = [...loaded.set.playbooks];
    for (const w of loaded.set.warnings) logger.warn({ file: w.file, line: w.line }, w.message);
    this.autoencoders = await loadAutoencoders(detectors, config.stateDir, { clock, logger });
    // Signed checkpoints go to the audit topic too (with the next batch): a second copy the state
    // directory's writers cannot reach.
    const signing = await serviceLedgerSigning(config.ledger, {
      vault: this.deps.actionDeps.vault, logger,
      onCheckpoint: (checkpoint) => { this.outbox.push(this.topics.audit, [checkpointMessage(checkpoint)]); },
    });
    const ledger = await Ledger.open(join(config.stateDir, 'audit'), clock, signing);
    const policy: SafetyPolicy = { ...DEFAULT_SAFETY_POLICY, protectedNamespaces: [...config.protectedNamespaces, config.namespace] };
    const guard = new SafetyGuard(policy, await readGuardState(config.stateDir));
    const audit = teeLedger(ledger, { outbox: this.outbox, auditTopic: this.topics.audit, metrics: this.deps.metrics, onBreaker: (event) => { this.reporter.announceBreaker(event); } });
    this.outputs = await buildOutputs(config.outputs, {
      clock, logger, metrics: this.deps.metrics, stateDir: config.stateDir, resolveAfterMs: DEFAULT_PIPELINE_OPTIONS.resolveAfterMs,
      kube: this.deps.actionDeps.kube, instance: hostname(),
    });
    this.outputs.start();
    const claims = claimStore(config, this.deps.kube, clock, logger);
    const rails = claims ? new ClusterRails(claims, policy, QUARANTINE_SLOT_HOLD_MS) : undefined;
    const silences = new SilenceCache(this.deps.silences ?? new FileSilenceStore(config.stateDir, clock), { clock, logger, cacheMs: config.silences.cacheFor });
    await silences.load();
    const { executor, store, gate } = buildExecutor({
      config, actionDeps: this.actionDeps, approvals: this.deps.approvals, playbooks, guard, ledger: audit, claims, rails, silences,
      onStep: (run, result) => {
        this.outputs?.events?.stepResult(run, result);
        return this.reporter.reportStep(run, result);
      },
      clock, logger,
    });
    const threads = this.actionDeps.slackThreads;
    const quarantine: QuarantineBudgetDeps = { actionDeps: this.actionDeps, guard, ledger: audit, ...(rails ? { rails } : {}), ...(threads ? { threads } : {}) };
    const housekeeping = new Housekeeping({
      quarantine: this.deps.actionDeps.kube && !config.dryRun ? quarantine : undefined, claims, runStore: store,
      approvals: this.deps.approvals, slackThreads: threads, stateRetentionMs: config.stateRetention, clock, logger,
    });
    this.started = { ledger, audit, guard, executor, housekeeping, quarantine, silences, stopExpiry: undefined };
    this.pipelineSetup = { detectors, playbooks, policy };
    this.configReload = await startConfigReload({
      config, initial: { set: loaded.set, autoencoders: this.autoencoders }, ledger: audit, logger, clock, metrics: this.deps.metrics,
      target: {
        pipelines: () => this.partitions.pipelines(), executor: () => executor,
        swapped: (next) => { this.pipelineSetup = { detectors: [...next.set.detectors], playbooks: [...next.set.playbooks], policy }; this.autoencoders = next.autoencoders; },
      },
    });
    if (gate && this.deps.approvals) {
      // Decisions made while the engine was down reach the executor now that it exists.
      gate.resume();
      this.started = { ...this.started, stopExpiry: this.deps.approvals.startExpiryTimer() };
    }
    housekeeping.start();
    await this.detectionWorkers?.warm();
    logger.info({ workers: this.detectionWorkers?.size ?? 0 }, this.detectionWorkers ? 'partitions detect on worker threads' : 'partitions detect on the main thread');
    await this.connection.connect(() => ensureOutputTopics(this.connection.admin, this.topics, this.deps.approvals !== undefined), signal);
    const consumer = this.connection.consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.joined = true;
      const assigned = new Set(Object.entries(event.payload.memberAssignment).flatMap(([topic, parts]) => parts.map((p) => `${topic}:${p}`)));
      this.partitions.keepOnly(assigned);
      logger.info({ partitions: [...assigned] }, 'joined the consumer group');
    });
    consumer.on(consumer.events.CRASH, (event) => {
      logger.error({ err: safeError(event.payload.error) }, 'consumer crashed');
    });
    if (this.deps.approvals) {
      this.forwarded = await startApprovalForwarding({
        kafka: this.kafka, producer: this.connection.producer, approvals: this.deps.approvals,
        topic: this.topics.approvals, groupId: config.kafka.groupId, logger,
      });
    }
    await consumer.subscribe({ topics: inputTopics(this.topics), fromBeginning: true });
    const resumed = await executor.resume();
    if (resumed.length > 0) logger.info({ runs: resumed.length }, 'resumed unfinished playbook runs');
    await consumer.run({
      autoCommit: false,
      // With detection on workers, partitions are consumed side by side: each worker has one in hand.
      partitionsConsumedConcurrently: this.detectionWorkers?.size ?? 1,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => this.partitions.batch(payload),
    });
  }

  /** Graceful stop (SIGTERM): finish the batch in hand, checkpoint and commit, leave the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.started?.stopExpiry?.();
    this.started?.housekeeping.stop();
    const { consumer, producer, admin } = this.connection;
    // Every step runs even if one before it failed: a partial stop must still leave the state,
    // the ledger and the models on disk and the connections closed.
    const steps: [string, () => Promise<unknown>][] = [
      ['stop reloading the configuration', async () => this.configReload?.stop()],
      ['stop consuming', () => consumer.stop()],
      ['checkpoint partitions', () => this.started ? this.partitions.checkpointAll(false) : Promise.resolve()],
      ['stop the outputs', async () => this.outputs?.stop()],
      ['save safety state', () => writeGuardState(this.deps.config.stateDir, this.started?.guard)],
      ['flush the ledger', async () => this.started?.ledger.flush()],
      ['save autoencoders', async () => {
        for (const model of this.autoencoders.values()) {
          await model.save();
          await model.close();
        }
      }],
      ['stop the detection workers', async () => this.detectionWorkers?.close()],
      ['disconnect the consumer', () => consumer.disconnect()],
      ['stop forwarding approvals', async () => {
        this.deps.approvals?.setForwarder(undefined);
        await this.forwarded?.disconnect();
      }],
      ['disconnect the producer', () => producer.disconnect()],
      ['disconnect the admin client', () => admin.disconnect()],
    ];
    const failed: string[] = [];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        failed.push(`${what}: ${describeError(error)}`);
      }
    }
    if (failed.length > 0) throw new Error(`unclean stop: ${failed.join('; ')}`);
  }

  /** Reloads the detector and playbook files now (SIGHUP), as a file change would. */
  async reloadConfig(): Promise<ReloadOutcome | undefined> {
    return this.configReload?.reload();
  }

  /** Adds a silence a person asked for: stored, recorded in the ledger, in force here at once. */
  addSilence(silence: StoredSilence, actor: SilenceActor): Promise<void> {
    return this.personChanges.addSilence(silence, actor);
  }

  /** Ends a silence now (the console API): stored, recorded, in force here at once. */
  expireSilence(id: string, by: string, actor: SilenceActor): Promise<StoredSilence | undefined> {
    return this.personChanges.expireSilence(id, by, actor);
  }

  /** The silences as the store holds them now (the console API lists them). */
  listSilences(): Promise<StoredSilence[]> {
    return this.personChanges.listSilences();
  }

  /** Releases a quarantine a person asked for (the "Release pod" button). */
  releaseQuarantine(target: ReleaseTarget, by: string): Promise<ActionResult> {
    return this.personChanges.releaseQuarantine(target, by);
  }

  /** Whether the ledger is open, so {@link recordConsoleDecision} can record. */
  get recording(): boolean {
    return this.personChanges.recording;
  }

  /** Records an operator's decision from the console API in the ledger and the audit topic. */
  recordConsoleDecision(data: unknown): void {
    this.personChanges.recordConsoleDecision(data);
  }

  /**
   * Bounds the working state (hourly): finished runs, decided approvals and quiet incidents'
   * threads older than `stateRetention` go. The ledger and the audit topic keep the record.
   */
  async pruneState(now = this.deps.clock.now()): Promise<{ runs: number; approvals: number; threads: number }> {
    return this.running().housekeeping.pruneState(now);
  }

  /** Readiness: the consumer joined its group, Kafka answers, and Kubernetes answers when enabled. */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = { kafka: await this.connection.check(this.joined) };
    if (this.deps.config.kubernetes.enabled) {
      const kube = this.deps.kube;
      if (!kube) checks.kubernetes = 'not configured';
      else {
        try {
          const { VersionApi } = await import('@kubernetes/client-node');
          await kube.makeApiClient(VersionApi).getCode();
          checks.kubernetes = 'ok';
        } catch (error) {
          checks.kubernetes = `unreachable: ${describeSafely(error)}`;
        }
      }
    }
    return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
  }

  /** The detectors, playbooks and rails every partition's pipeline is built with (set by `start`). */
  private pipelineSetup: PipelineSetup | undefined;

  private async createPipeline(key: string, state: PipelineState, replayBelow: number | undefined): Promise<PartitionEngine> {
    const setup = this.pipelineSetup;
    const { guard, executor, audit } = this.running();
    if (!setup) throw new Error('service not started');
    return openPartitionEngine(key, state, replayBelow, {
      config: this.deps.config, setup, autoencoders: this.autoencoders, guard, executor, audit, outbox: this.outbox,
      incidents: this.outputs?.incidents, workers: this.detectionWorkers, clock: this.deps.clock,
    });
  }

  private running(): Started {
    if (!this.started) throw new Error('service not started');
    return this.started;
  }

  /**
   * A checkpoint that cannot be used: said in the log and the ledger, and the partition starts
   * with fresh baselines from its committed offset (no input is skipped; baselines are relearned).
   */
  private checkpointUnusable(partition: string, why: string): void {
    this.deps.logger.error({ partition, topic: this.topics.state }, `the checkpoint of ${partition} cannot be used (${why}); its baselines start over`);
    this.started?.audit.append('decision', { event: 'checkpoint-unusable', partition, reason: why });
  }
}
