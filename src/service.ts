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
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload, type IHeaders, type KafkaConfig, type Message, type Producer } from 'kafkajs';
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline, type BreakerEvent, type PipelineOptions, type PipelineState } from './app.js';
import { loadAutoencoders } from './detect/autoencoder/load-autoencoders.js';
import type { AutoencoderDetector } from './detect/autoencoder/autoencoder-detector.js';
import type { ActionDeps, ActionResult } from './actions/action-context.js';
import type { ActionsBlock } from './actions/slack/block-kit.js';
import type { ActionTarget } from './actions/action-definition.js';
import { inspectKubeTarget } from './actions/kubernetes/inspect-target.js';
import { currentSubjectsWith } from './approvals/current-subjects.js';
import { ClusterRails } from './coordination/cluster-rails.js';
import { KubeLeaseClaims } from './coordination/kube-lease-claims.js';
import { releaseOnRequest, sweepQuarantineBudgets, type QuarantineBudgetDeps } from './coordination/quarantine-sweep.js';
import { readToEnd } from './kafka/read-to-end.js';
import type { RunClaims } from './coordination/run-claims.js';
import { Ledger } from './audit/ledger.js';
import { serviceLedgerSigning } from './audit/service-ledger-signing.js';
import { checkpointMessage, ledgerRecordMessage } from './audit/topic-copy.js';
import { backendWarnings } from './config/backend-warnings.js';
import { loadConfig } from './config/load-config.js';
import { applyVarOverrides } from './playbook/playbook-vars.js';
import type { ServiceConfig } from './config/service-config.js';
import type { Anomaly } from './detect/anomaly.js';
import type { DetectorSpec } from './detect/detector-spec.js';
import type { StoredDeadLetter } from './parse/records.js';
import { DEFAULT_DEAD_LETTER_FLUSH_BYTES as DEAD_LETTER_FLUSH_BYTES } from './sources/dead-letter-file.js';
import type { ApprovalService } from './approvals/approval-service.js';
import type { ReleaseTarget } from './approvals/release-button.js';
import { SlackApprovalGate } from './approvals/slack-approval-gate.js';
import type { PlaybookSpec } from './playbook/playbook-spec.js';
import { RunExecutor } from './playbook/run-executor.js';
import { FileRunStore, type PlaybookRun, type StepResult } from './playbook/run-store.js';
import { DEFAULT_SAFETY_POLICY, SafetyGuard, type SafetyGuardSnapshot, type SafetyPolicy } from './playbook/safety-guard.js';
import type { Clock } from './shared/clock.js';
import { ConfigError, describeError } from './shared/errors.js';
import { describeZodIssues } from './shared/describe-issues.js';
import type { Logger } from './shared/logger.js';
import type { EngineMetrics } from './server/metrics.js';
import { writeFileAtomic } from './shared/write-file-atomic.js';
import { describeFailedAttempt, retryWithBackoff } from './shared/retry.js';
import { describeSafely, safeError } from './shared/safe-error.js';
import { kafkaConnectError } from './kafka/kafka-connect-error.js';

/**
 * How long a quarantined pod holds its blast-radius slot across replicas when nothing releases it
 * through the engine (a release frees it at once).
 */
const QUARANTINE_SLOT_HOLD_MS = 7 * 24 * 3_600_000;

const QUARANTINE_ACTION = 'kubernetes.quarantine-pod';

/** The state topic's message limit (compressed): room for the checkpoint of a busy partition. */
const STATE_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

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
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: EngineMetrics;
}

/**
 * A partition's saved state. `nextOffset` is where a restart resumes reading: the earliest record
 * still held only in an open window (so none is lost); records from there up to `processedUpTo`
 * are replayed to rebuild those windows, and the ones whose windows had closed are recognised.
 */
interface Checkpoint {
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
}

/** The running service. */
export class MeshwardenService {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly outbox: { topic: string; messages: Message[] }[] = [];
  /** Approximate bytes of dead letters in the outbox: past a few MiB it is sent mid-batch. */
  private deadLetterBytes = 0;
  private detectors: DetectorSpec[] = [];
  private playbooks: PlaybookSpec[] = [];
  private ledger: Ledger | undefined;
  /** The ledger, mirrored to the audit topic: what every record goes through. */
  private audit: ReturnType<MeshwardenService['teeLedger']> | undefined;
  private policy: SafetyPolicy | undefined;
  private guard: SafetyGuard | undefined;
  private executor: RunExecutor | undefined;
  private autoencoders: ReadonlyMap<string, AutoencoderDetector> = new Map();
  private claims: RunClaims | undefined;
  private rails: ClusterRails | undefined;
  private forwarded: Consumer | undefined;
  private stopExpiry: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private runStore: FileRunStore | undefined;
  private joined = false;
  private stopping = false;
  private readonly topics: ServiceConfig['kafka']['topics'];
  /** The clients actions run with, with the service's clock and logger. */
  private readonly actionDeps: ActionDeps;

  constructor(private readonly deps: ServiceDeps) {
    this.topics = deps.config.kafka.topics;
    this.actionDeps = { ...deps.actionDeps, clock: deps.clock, logger: deps.logger };
    this.kafka = new Kafka({ ...deps.kafka, logLevel: logLevel.NOTHING });
    const { groupId, sessionTimeout, heartbeatInterval } = deps.config.kafka;
    this.consumer = this.kafka.consumer({ groupId, sessionTimeout, heartbeatInterval, allowAutoTopicCreation: false, maxBytesPerPartition: 4 << 20 });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.admin = this.kafka.admin();
  }

  /**
   * Loads the configuration, connects, resumes unfinished runs and starts consuming. An unreachable
   * Kafka is retried with backoff (readiness says why meanwhile) until `signal` aborts.
   */
  async start(signal?: AbortSignal): Promise<void> {
    const { config, logger, clock } = this.deps;
    const loaded = await loadConfig([config.detectors, config.playbooks]);
    if (loaded.problems.length > 0) throw new ConfigError(loaded.problems);
    this.detectors = loaded.detectors.map((d) => d.value);
    const withVars = applyVarOverrides(loaded.playbooks.map((p) => p.value), config.playbookVars);
    if (withVars.problems.length > 0) throw new ConfigError(withVars.problems.map((message) => ({ file: 'service config', line: 0, col: 0, path: '', message })));
    this.playbooks = withVars.playbooks;
    for (const w of backendWarnings(loaded.playbooks, { kubernetes: config.kubernetes.enabled, vault: config.vault.enabled, slack: config.slack.enabled })) logger.warn({ file: w.file, line: w.line }, w.message);
    this.autoencoders = await loadAutoencoders(this.detectors, config.stateDir, { clock, logger });
    // Signed checkpoints go to the audit topic too (with the next batch): a second copy the state
    // directory's writers cannot reach.
    const signing = await serviceLedgerSigning(config.ledger, {
      vault: this.deps.actionDeps.vault, logger,
      onCheckpoint: (checkpoint) => { this.outbox.push({ topic: this.topics.audit, messages: [checkpointMessage(checkpoint)] }); },
    });
    this.ledger = await Ledger.open(join(config.stateDir, 'audit'), clock, signing);
    const policy: SafetyPolicy = { ...DEFAULT_SAFETY_POLICY, protectedNamespaces: [...config.protectedNamespaces, config.namespace] };
    this.policy = policy;
    this.guard = new SafetyGuard(policy, await this.readGuardState());
    const ledger = (this.audit = this.teeLedger(this.ledger));
    const approvals = this.deps.approvals;
    // The gate hands verified decisions back to the executor that parked the run.
    const kube = this.deps.actionDeps.kube;
    const inspectTarget = kube ? (target: ActionTarget) => inspectKubeTarget(kube, target) : undefined;
    const gate = approvals
      ? new SlackApprovalGate({
          service: approvals, logger, deliver: (runId, approvalId, decision) => this.runs().decide(runId, approvalId, decision),
          ...(inspectTarget ? { currentSubjects: currentSubjectsWith(inspectTarget) } : {}),
        })
      : undefined;
    this.claims = this.claimStore();
    this.rails = this.claims ? new ClusterRails(this.claims, policy, QUARANTINE_SLOT_HOLD_MS) : undefined;
    this.executor = new RunExecutor({
      playbooks: new Map(this.playbooks.map((p) => [p.metadata.name, p])), guard: this.guard,
      store: (this.runStore = new FileRunStore(join(config.stateDir, 'runs'))), ledger,
      actionDeps: this.actionDeps,
      ...(gate ? { approvals: gate } : {}),
      onStep: (run, result) => this.reportStep(run, result),
      ...(inspectTarget ? { inspectTarget } : {}),
      ...(this.claims ? { claims: { store: this.claims, holdAtLeastMs: config.coordination.holdAtLeast } } : {}),
      ...(this.rails ? { clusterRails: this.rails } : {}),
    });
    if (gate && approvals) {
      gate.resume();
      this.stopExpiry = approvals.startExpiryTimer();
    }
    this.pruner = setInterval(() => { void this.pruneState(); }, 3_600_000);
    this.pruner.unref();
    if (this.deps.actionDeps.kube && !config.dryRun) {
      this.sweeper = setInterval(() => { void this.sweepQuarantines().then(() => this.sweepClaims()); }, 60_000);
      this.sweeper.unref();
    }
    await this.connectKafka(signal);
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.joined = true;
      const assigned = new Set(Object.entries(event.payload.memberAssignment).flatMap(([topic, parts]) => parts.map((p) => `${topic}:${p}`)));
      // A partition that moved to another replica: its state is that replica's now.
      for (const key of this.partitions.keys()) if (!assigned.has(key)) this.partitions.delete(key);
      logger.info({ partitions: [...assigned] }, 'joined the consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      logger.error({ err: safeError(event.payload.error) }, 'consumer crashed');
    });
    await this.startForwarding();
    await this.consumer.subscribe({ topics: [this.topics.accessLogs, this.topics.modelTelemetry, this.topics.driftMetrics], fromBeginning: true });
    const resumed = await this.executor.resume();
    if (resumed.length > 0) logger.info({ runs: resumed.length }, 'resumed unfinished playbook runs');
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => this.batch(payload),
    });
  }

  /** Graceful stop (SIGTERM): finish the batch in hand, checkpoint and commit, leave the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopExpiry?.();
    clearInterval(this.sweeper);
    clearInterval(this.pruner);
    // Every step runs even if one before it failed: a partial stop must still leave the state,
    // the ledger and the models on disk and the connections closed.
    const steps: [string, () => Promise<unknown>][] = [
      ['stop consuming', () => this.consumer.stop()],
      ['checkpoint partitions', async () => {
        for (const [key, partition] of this.partitions) await this.checkpoint(key, partition, { commit: false });
      }],
      ['save safety state', () => this.writeGuardState()],
      ['flush the ledger', async () => this.ledger?.flush()],
      ['save autoencoders', async () => {
        for (const model of this.autoencoders.values()) {
          await model.save();
          await model.close();
        }
      }],
      ['disconnect the consumer', () => this.consumer.disconnect()],
      ['stop forwarding approvals', async () => {
        this.deps.approvals?.setForwarder(undefined);
        await this.forwarded?.disconnect();
      }],
      ['disconnect the producer', () => this.producer.disconnect()],
      ['disconnect the admin client', () => this.admin.disconnect()],
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

  /**
   * Puts each step in the incident's Slack thread ("Actions taken"); a refusal or failure opens
   * the thread in the refusals channel when the incident has none yet, so no refusal goes unseen.
   */
  private async reportStep(run: PlaybookRun, result: StepResult): Promise<void> {
    if (result.outcome === 'succeeded') {
      // From the end of the anomalous window (event time) to the effect: detection and response delay.
      this.deps.metrics.anomalyToActionSeconds.observe({ action: result.action }, Math.max(0, result.at - run.anomaly.windowEnd) / 1000);
    }
    const threads = this.deps.actionDeps.slackThreads;
    if (!threads || result.action === 'slack.notify' || result.action === 'slack.approval') return;
    const line = `${result.step} (${result.action}) on ${result.target}: ${result.outcome}: ${result.description}`;
    if (result.outcome === 'refused' || result.outcome === 'failed') {
      await threads.ensureThread(run.incidentId, this.deps.config.slack.refusalsChannel, run.anomaly);
    }
    const pod = result.action === QUARANTINE_ACTION && result.outcome === 'succeeded' ? /^Pod ([^/\s]+)\/(\S+)$/.exec(result.target) : null;
    const button = pod && this.deps.releaseButton ? this.deps.releaseButton({ namespace: pod[1] ?? '', pod: pod[2] ?? '', incidentId: run.incidentId }) : undefined;
    // The button must reach someone even when the playbook tells Slack only after isolating.
    if (button) await threads.ensureThread(run.incidentId, this.deps.config.slack.refusalsChannel, run.anomaly);
    await threads.recordAction(run.incidentId, line, `${run.id}/${result.index}/${result.outcome}`, button);
  }

  /**
   * Releases a quarantine a person asked for (the "Release pod" button): the engine's
   * `kubernetes.release-pod`, the pod out of the budgets, a ledger record naming who asked.
   */
  async releaseQuarantine(target: ReleaseTarget, by: string): Promise<ActionResult> {
    const deps = this.quarantineDeps();
    if (!deps) throw new Error('service not started');
    return releaseOnRequest(deps, { ...target, by, via: 'slack-release' });
  }

  /** What the quarantine sweeper and releases on request work with; undefined before start. */
  private quarantineDeps(): QuarantineBudgetDeps | undefined {
    const { guard, audit: ledger, rails } = this;
    if (!guard || !ledger) return undefined;
    const threads = this.deps.actionDeps.slackThreads;
    return { actionDeps: this.actionDeps, guard, ledger, ...(rails ? { rails } : {}), ...(threads ? { threads } : {}) };
  }

  private runs(): RunExecutor {
    if (!this.executor) throw new Error('service not started');
    return this.executor;
  }

  /**
   * Connects the admin client, the output topics, the producer and the consumer, as one attempt
   * retried by the backend retry policy. A throwaway client without kafkajs's own retries
   * probes the brokers first, so one attempt against a dead broker takes about a second, not ~11 s.
   */
  private async connectKafka(signal: AbortSignal | undefined): Promise<void> {
    const brokers = this.deps.kafka.brokers;
    const list = Array.isArray(brokers) ? brokers : ['(discovered)'];
    await retryWithBackoff(async () => {
      try {
        // kafkajs applies the client's retry settings to connecting, whatever the admin client's say.
        const probe = new Kafka({ ...this.deps.kafka, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
        try {
          await probe.connect();
        } finally {
          await probe.disconnect().catch(() => undefined);
        }
        await this.admin.connect();
        await this.ensureOutputTopics();
        await this.producer.connect();
        await this.consumer.connect();
      } catch (error) {
        throw kafkaConnectError(list, error);
      }
    }, {
      what: 'connecting to Kafka', logger: this.deps.logger, ...(signal ? { signal } : {}),
      onFailure: (failure) => {
        this.kafkaState = `unreachable ${describeFailedAttempt(failure)}`;
      },
    });
    this.kafkaState = 'connected';
  }

  /** Kafka's connection state while the service starts, for readiness. */
  private kafkaState: string = 'not connected yet';

  /** Readiness: the consumer joined its group, Kafka answers, and Kubernetes answers when enabled. */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    if (this.kafkaState !== 'connected') {
      // Not the admin client: before it connected, asking it would wait out kafkajs's own retries.
      checks.kafka = this.kafkaState;
    } else {
      try {
        await this.admin.describeCluster();
        checks.kafka = this.joined ? 'ok' : 'connected, not yet in the consumer group';
      } catch (error) {
        checks.kafka = `unreachable: ${describeSafely(error)}`;
      }
    }
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

  private async batch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const started = performance.now();
    const key = `${batch.topic}:${batch.partition}`;
    const partition = this.partitions.get(key) ?? (await this.loadPartition(key));
    const source = `${batch.topic}/${batch.partition}`;
    const metrics = this.deps.metrics;
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
          if (this.deadLetterBytes >= DEAD_LETTER_FLUSH_BYTES) await this.flushOutbox();
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
    const before = partition.pipeline.counters.parsed;
    metrics.records.inc({ source: batch.topic, outcome: 'parsed' }, before - (this.lastParsed.get(key) ?? 0));
    this.lastParsed.set(key, before);
    // Live actions run before anything is committed; a slow backend slows consumption instead of
    // letting work pile up in memory.
    await partition.pipeline.drain();
    await this.flushOutbox();
    await this.ledger?.flush();
    if (this.deps.clock.now() - partition.lastCheckpoint >= this.deps.config.kafka.checkpointEvery) await this.checkpoint(key, partition);
    // Retraining runs beside the stream; the current model keeps scoring until the new one is ready.
    for (const model of this.autoencoders.values()) if (model.retrainDue) void model.maybeRetrain();
    metrics.trackedEntities.set([...this.partitions.values()].reduce((n, p) => n + p.pipeline.trackedEntities, 0));
    const lag = Number(batch.highWatermark) - partition.nextOffset;
    metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
    metrics.batchSeconds.observe({ topic: batch.topic }, (performance.now() - started) / 1000);
    await payload.heartbeat();
  }

  private readonly lastParsed = new Map<string, number>();

  private async loadPartition(key: string): Promise<PartitionState> {
    let saved = await this.readCheckpoint(key);
    const { guard, executor, audit, policy } = this;
    if (!guard || !executor || !audit || !policy) throw new Error('service not started');
    // Live event time follows the wall clock: nothing more than the skew ahead of it is admitted.
    const options: PipelineOptions = { ...DEFAULT_PIPELINE_OPTIONS, features: { ...DEFAULT_PIPELINE_OPTIONS.features, trustedProxyHops: this.deps.config.trustedProxyHops, maxEntities: this.deps.config.maxEntities }, dryRun: this.deps.config.dryRun, collect: false, safety: policy, eventTime: { ...DEFAULT_PIPELINE_OPTIONS.eventTime, wallClock: true } };
    const build = (checkpoint: Checkpoint | undefined): Pipeline => new Pipeline(this.detectors, this.playbooks, options, {
      deadLetters: { add: (letter) => { this.deadLetter(letter); } },
      ledger: audit,
      anomalies: { add: (anomaly) => { this.anomaly(anomaly); } },
    }, checkpoint?.state ?? {}, {
      guard, executor, autoencoders: this.autoencoders, clock: this.deps.clock,
      ...(checkpoint?.processedUpTo !== undefined ? { replayBelow: Number(checkpoint.processedUpTo) } : {}),
    });
    let pipeline: Pipeline;
    try {
      pipeline = build(saved);
    } catch (error) {
      // A checkpoint this version cannot apply must not stop the partition for good.
      this.checkpointUnusable(key, `its state does not load: ${describeError(error)}`);
      saved = undefined;
      pipeline = build(undefined);
    }
    const skipBelow = saved ? Number(saved.nextOffset) : 0;
    const state: PartitionState = { pipeline, skipBelow, nextOffset: skipBelow, lastCheckpoint: this.deps.clock.now(), dirty: false };
    this.partitions.set(key, state);
    this.deps.logger.info({ partition: key, resumedAt: saved?.nextOffset ?? null }, saved ? 'partition resumed from its checkpoint' : 'partition starts with fresh baselines');
    return state;
  }

  /** A breaker stops automatic action: a human must hear of it at once. */
  private announceBreaker(event: BreakerEvent): void {
    this.deps.metrics.breakerOpen.set({ detector: event.detector }, 1);
    const closes = setTimeout(() => { this.deps.metrics.breakerOpen.set({ detector: event.detector }, 0); }, Math.max(0, Date.parse(event.until) - this.deps.clock.now()));
    closes.unref();
    // Logged too, so the SOC hears of it without Slack (the breaker is an incident of its own).
    this.deps.logger.error({ breaker: event }, 'automatic action suspended: a detector breaker opened');
    const slack = this.deps.actionDeps.slack;
    if (!slack) return;
    const text = `:rotating_light: Automatic action suspended: detector *${event.detector}* flagged ${(event.share * 100).toFixed(0)}% of ${event.scored} entities (${event.sources} distinct sources) in the window ending ${event.windowEnd}. ` +
      `Until ${event.until}, destructive steps on its anomalies are refused; check the detector and the platform.`;
    slack.chat.postMessage({ channel: this.deps.config.slack.refusalsChannel, text }).catch((error: unknown) => {
      this.deps.logger.warn({ err: describeError(error) }, 'could not announce a breaker in Slack');
    });
  }

  /**
   * Releases quarantines whose expiry passed (each recorded like any other action) and stops
   * counting pods that are no longer quarantined against the blast-radius budgets.
   */
  private async sweepQuarantines(): Promise<void> {
    const deps = this.quarantineDeps();
    if (!deps) return;
    try {
      const outcome = await sweepQuarantineBudgets(deps);
      if (outcome && (outcome.forgotten.length > 0 || outcome.freedSlots > 0)) {
        this.deps.logger.info({ pods: outcome.forgotten, freedSlots: outcome.freedSlots }, 'pods no longer quarantined stop counting against the blast-radius budgets');
      }
    } catch (error) {
      this.deps.logger.warn({ err: describeError(error) }, 'could not sweep expired quarantines');
    }
  }

  /**
   * Approval clicks across replicas: a click for an approval another replica holds goes to the
   * approvals topic, sealed; every replica reads that topic (its own group, from the start: the
   * topic keeps minutes only and stale seals are refused) and the holder applies it.
   */
  private async startForwarding(): Promise<void> {
    const approvals = this.deps.approvals;
    if (!approvals) return;
    const topic = this.topics.approvals;
    const consumer = this.kafka.consumer({ groupId: `${this.deps.config.kafka.groupId}-approvals-${randomUUID()}`, allowAutoTopicCreation: false });
    this.forwarded = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.value === null) return;
        const result = await approvals.handleForwarded(message.value.toString('utf8'));
        if (result.type !== 'ignored') this.deps.logger.info({ topic, offset: message.offset, result: result.type }, 'applied a forwarded approval click');
      },
    });
    approvals.setForwarder(async (sealed) => {
      await this.producer.send({ topic, acks: -1, messages: [{ value: sealed }] });
    });
  }

  /**
   * Where runs claim their playbook and entity. Leases on the API server when configured (or
   * `auto` with Kubernetes enabled and live actions); none in dry-run or with `none`.
   */
  private claimStore(): RunClaims | undefined {
    const { config, kube, clock, logger } = this.deps;
    const mode = config.coordination.claims;
    if (mode === 'none' || (mode === 'auto' && (config.dryRun || !config.kubernetes.enabled))) {
      if (!config.dryRun) logger.warn('run claims are off: run a single replica, or two replicas may act on one entity');
      return undefined;
    }
    if (!kube) throw new ConfigError([{ file: 'config', line: 0, col: 0, path: 'coordination.claims', message: 'run claims need a Kubernetes client, and none is configured' }]);
    return new KubeLeaseClaims(kube, config.namespace, clock);
  }

  /**
   * Bounds the working state (hourly): finished runs, decided approvals and quiet incidents'
   * threads older than `stateRetention` go. The ledger and the audit topic keep the record.
   */
  async pruneState(now = this.deps.clock.now()): Promise<{ runs: number; approvals: number; threads: number }> {
    const before = now - this.deps.config.stateRetention;
    const pruned = { runs: 0, approvals: 0, threads: 0 };
    try {
      pruned.runs = (await this.runStore?.prune(before)) ?? 0;
      pruned.approvals = (await this.deps.approvals?.prune(before)) ?? 0;
      pruned.threads = (await this.deps.actionDeps.slackThreads?.prune(before)) ?? 0;
      if (pruned.runs + pruned.approvals + pruned.threads > 0) this.deps.logger.info(pruned, 'pruned working state past its retention');
    } catch (error) {
      this.deps.logger.warn({ err: describeError(error) }, 'could not prune the working state');
    }
    return pruned;
  }

  /** Deletes lapsed claims so their Leases do not pile up. */
  private async sweepClaims(): Promise<void> {
    try {
      const removed = await this.claims?.sweep();
      if (removed) this.deps.logger.info({ removed }, 'deleted lapsed run claims');
    } catch (error) {
      this.deps.logger.warn({ err: describeError(error) }, 'could not sweep lapsed run claims');
    }
  }

  /** Rate limits and blast-radius budgets outlive a restart (they are per engine, not per partition). */
  private async readGuardState(): Promise<SafetyGuardSnapshot | undefined> {
    try {
      return JSON.parse(await readFile(join(this.deps.config.stateDir, 'safety.json'), 'utf8')) as SafetyGuardSnapshot;
    } catch {
      return undefined;
    }
  }

  private async writeGuardState(): Promise<void> {
    if (!this.guard) return;
    const path = join(this.deps.config.stateDir, 'safety.json');
    await writeFileAtomic(path, JSON.stringify(this.guard.snapshot()));
  }

  /**
   * Outputs first (acks=all), then the checkpoint, then the offset: never the other way round.
   * @param options.commit false once the consumer has stopped (its group is gone): the checkpoint
   *   carries its own offset and resumption honours it, so the commit is only a shortcut.
   */
  private async checkpoint(key: string, partition: PartitionState, options: { commit: boolean } = { commit: true }): Promise<void> {
    if (!partition.dirty) return;
    await this.flushOutbox();
    await this.ledger?.flush();
    const resume = partition.pipeline.resumePosition(partition.nextOffset);
    const checkpoint: Checkpoint = { version: 1, nextOffset: resume.toString(), processedUpTo: partition.nextOffset.toString(), state: partition.pipeline.state() };
    const value = JSON.stringify(checkpoint);
    // Baselines of a few thousand entities pass Kafka's default 1 MB message limit as JSON: the
    // state topic allows STATE_MAX_MESSAGE_BYTES and checkpoints travel gzipped (~30x smaller).
    if (value.length > STATE_MAX_MESSAGE_BYTES) {
      this.deps.logger.warn({ partition: key, bytes: value.length }, 'a large checkpoint (uncompressed): consider more partitions for this topic');
    }
    await this.producer.send({ topic: this.topics.state, acks: -1, compression: CompressionTypes.GZIP, messages: [{ key, value }] });
    await this.writeGuardState();
    if (options.commit) {
      const [topic, p] = splitKey(key);
      await this.consumer.commitOffsets([{ topic, partition: p, offset: resume.toString() }]);
    }
    partition.lastCheckpoint = this.deps.clock.now();
    partition.dirty = false;
  }

  /** Reads the compacted state topic to its end and returns the latest checkpoint of `key`. */
  private async readCheckpoint(key: string): Promise<Checkpoint | undefined> {
    let latest: string | undefined;
    await readToEnd(this.kafka, this.admin, this.topics.state, `${this.deps.config.kafka.groupId}-state-${process.pid}-${Date.now()}`, (message) => {
      if (message.key?.toString() === key) latest = message.value === null ? undefined : message.value.toString('utf8');
    });
    if (latest === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(latest);
    } catch {
      this.checkpointUnusable(key, 'it is not JSON');
      return undefined;
    }
    const parsed = checkpointSchema.safeParse(raw);
    if (!parsed.success) {
      this.checkpointUnusable(key, `it is not a version 1 checkpoint (${describeZodIssues(parsed.error)})`);
      return undefined;
    }
    return parsed.data;
  }

  /**
   * A checkpoint that cannot be used: said in the log and the ledger, and the partition starts
   * with fresh baselines from its committed offset (no input is skipped; baselines are relearned).
   */
  private checkpointUnusable(partition: string, why: string): void {
    this.deps.logger.error({ partition, topic: this.topics.state }, `the checkpoint of ${partition} cannot be used (${why}); its baselines start over`);
    this.audit?.append('decision', { event: 'checkpoint-unusable', partition, reason: why });
  }

  private deadLetter(letter: StoredDeadLetter): void {
    this.deps.metrics.deadLetters.inc({ code: letter.code });
    const [topic, partition] = letter.origin.source.split('/');
    const headers: IHeaders = {
      'meshwarden-reason': letter.reason, 'meshwarden-code': letter.code,
      'meshwarden-source-topic': topic ?? '', 'meshwarden-source-partition': partition ?? '', 'meshwarden-source-offset': String(letter.origin.position),
      // The value is a bounded prefix (or nothing, after the first letter of a message): these find the original.
      'meshwarden-raw-bytes': String(letter.rawBytes), 'meshwarden-raw-sha256': letter.rawSha256,
    };
    this.outbox.push({ topic: this.topics.deadLetters, messages: [{ value: letter.raw ?? '', headers }] });
    this.deadLetterBytes += (letter.raw?.length ?? 0) + letter.reason.length + 256;
  }

  private anomaly(anomaly: Anomaly): void {
    this.deps.metrics.anomalies.inc({ detector: anomaly.detector, severity: anomaly.severity });
    this.outbox.push({ topic: this.topics.anomalies, messages: [{ key: anomaly.entity.key, value: JSON.stringify(anomaly) }] });
  }

  /** The ledger, also mirrored to the audit topic. */
  private teeLedger(ledger: Ledger): { append: Ledger['append']; flush: () => Promise<void> } {
    return {
      append: (type, data) => {
        const record = ledger.append(type, data);
        if (type === 'decision' && (data as { event?: string }).event === 'breaker-opened') this.announceBreaker(data as BreakerEvent);
        if (type === 'action' || type === 'refusal') {
          const d = data as { action?: string; outcome?: string; reason?: string };
          this.deps.metrics.actions.inc({ action: d.action ?? '-', outcome: d.outcome ?? '-', reason: d.reason ?? '' });
        }
        this.outbox.push({ topic: this.topics.audit, messages: [ledgerRecordMessage(record, ledger.ledgerId)] });
        return record;
      },
      flush: async () => {
        await this.flushOutbox();
        await ledger.flush();
      },
    };
  }

  private async flushOutbox(): Promise<void> {
    this.deadLetterBytes = 0;
    if (this.outbox.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const item of this.outbox.splice(0)) {
      const list = byTopic.get(item.topic) ?? [];
      list.push(...item.messages);
      byTopic.set(item.topic, list);
    }
    await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }

  private async ensureOutputTopics(): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const wanted = [
      { topic: this.topics.deadLetters }, { topic: this.topics.anomalies }, { topic: this.topics.audit },
      { topic: this.topics.state, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: String(STATE_MAX_MESSAGE_BYTES) }] },
      ...(this.deps.approvals ? [{ topic: this.topics.approvals, configEntries: [{ name: 'retention.ms', value: String(30 * 60_000) }] }] : []),
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) await this.admin.createTopics({ waitForLeaders: true, topics: wanted });
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
