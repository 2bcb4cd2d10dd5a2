import type { AccessLogRecord, DriftMetricRecord, FalcoEventRecord, ModelTelemetryRecord, ParsedRecord } from '../parse/records.js';
import { seededRandom } from '../shared/random.js';
import { workloadName, type Entity } from './entity.js';
import { callGraphOf, type CallGraph } from './call-graph.js';
import { EdgeLearner } from './edge-learner.js';
import { restoreFeatureSnapshot, takeFeatureSnapshot, type FeatureSnapshot } from './feature-snapshot.js';
import { EntityResolver } from './entity-resolver.js';
import { FalcoTally } from './falco-window-evidence.js';
import { DEFAULT_ROLLOUT_OPTIONS, revisionOf, RolloutTracker } from './rollout-tracker.js';
import { ServiceRelations } from './service-relations.js';
import { DEFAULT_SOURCE_HISTORY_OPTIONS, SourceHistory } from './source-history.js';
import { externalHost, RouteTable } from './route-table.js';
import { RouteTemplates } from './route-template.js';
import { modelEntity, tallyDrift, tallyTelemetry } from './model-record-tally.js';
import { ModelVersionTable } from './model-version-table.js';
import { directionOf, PeerNames } from './peer-names.js';
import { tallyEgress, tallyServed } from './request-tally.js';
import { OpenWindows, type AdvanceResult } from './open-windows.js';
import type { WindowAccumulator } from './window-accumulator.js';

// Part of this module's interface since before the snapshot had a file of its own.
export { DEFAULT_MAX_SNAPSHOT_BYTES, type FeatureSnapshot } from './feature-snapshot.js';
// Part of this module's interface since before the window bookkeeping had a file of its own.
export type { AdvanceResult } from './open-windows.js';

/** Tuning of the feature stage. */
export interface FeatureExtractorOptions {
  /** Tumbling window length (ms). */
  readonly windowMs: number;
  /** How far behind the newest record a window stays open for stragglers (ms). */
  readonly allowedLatenessMs: number;
  /** An entity with no traffic for this long (event time) is forgotten (ms). */
  readonly idleEvictionMs: number;
  /** Edges a caller makes within this long of its first appearance are learned, not flagged (ms). */
  readonly edgeLearningMs: number;
  /**
   * After a workload's new revision (ReplicaSet) is first seen, its pods' new edges are a change
   * (`rollout_edges`), not an intrusion (`new_edges`), for this long (ms). Default 30 minutes.
   */
  readonly changeWindowMs?: number;
  /** Upper bound on tracked entities; the least recently seen go first, principals before the rest. */
  readonly maxEntities: number;
  /**
   * Proxies in front of the ingress gateways that append the client address to X-Forwarded-For
   * (Envoy's `xff_num_trusted_hops`). 0 (default): the gateway's own peer names the client.
   */
  readonly trustedProxyHops?: number;
  /** Seed of the latency reservoir sampler (reproducible runs). */
  readonly seed?: number;
  /** Upper bound on the JSON of `snapshot()`, which travels in a checkpoint (a Kafka message). */
  readonly maxSnapshotBytes?: number;
}

export const DEFAULT_FEATURE_OPTIONS: FeatureExtractorOptions = {
  windowMs: 60_000,
  allowedLatenessMs: 30_000,
  idleEvictionMs: 6 * 3_600_000,
  edgeLearningMs: 6 * 3_600_000,
  maxEntities: 200_000,
};

/** How far event time has got: windows ending at or before `closedUpTo` are closed. */
export interface FeatureClock {
  readonly closedUpTo: number;
  readonly maxTimestamp: number;
}

/** What feeding one record did. */
export type IngestResult = 'accepted' | 'late' | 'unattributed';

/**
 * What the extractor learned of how entities talk since the last `takeLearned`: what a response
 * stage on another thread needs to group incidents into cases (see `LearnedCallGraph`).
 */
export interface LearnedRelations {
  /** New caller -> callee edges: [namespace/workload, service.namespace or host]. */
  readonly edges: [string, string][];
  /** New principal -> workload relations: [principal entity key, namespace/workload]. */
  readonly served: [string, string][];
  /** New model -> workload relations: [model entity key, namespace/workload]. */
  readonly models: [string, string][];
}

/**
 * Turns parsed records into per-entity feature windows (workload, pod, principal, model) in event
 * time. Windows close when the watermark (newest timestamp minus allowed lateness) passes their
 * end; a record for a window already closed is reported `late` so the caller can dead-letter it.
 * The windows themselves (opening, closing, the bound on tracked entities) are kept by
 * `OpenWindows` (open-windows.ts), which this class extends.
 */
export class FeatureExtractor extends OpenWindows {
  /** The caller -> callee edges learned so far. */
  private readonly edges: EdgeLearner;
  /** When each workload's revisions were first seen: what makes a new edge a rollout's change. */
  private readonly rollouts: RolloutTracker;
  /** Principals and the workloads that served them, models and the workloads serving them (for cases). */
  private readonly relations: ServiceRelations;
  /** Names the entities of access-log lines; owns the address directory and the logging pods. */
  private readonly resolver: EntityResolver;
  /** Per workload, the callers it served before: what makes a source new (bounded, not saved). */
  private readonly sourceHistory: SourceHistory;
  /** Each workload's routes and the external hosts it calls, as entities of their own (bounded). */
  private readonly routes = new RouteTable();
  /** Each model's versions, as entities of their own (bounded: the version is the publisher's word). */
  private readonly versions = new ModelVersionTable();
  /** The route template of each request path seen lately (bounded). */
  private readonly templates = new RouteTemplates();
  private readonly random: () => number;
  private maxTimestamp = Number.NEGATIVE_INFINITY;
  /** Paths and callees, one string each. */
  private readonly names = new PeerNames();
  /** What was learned of the call graph since `takeLearned` (when recording; see `recordLearned`). */
  private learned: LearnedRelations | undefined;

  constructor(private readonly options: FeatureExtractorOptions = DEFAULT_FEATURE_OPTIONS, clock?: FeatureClock, saved?: FeatureSnapshot) {
    super(options.windowMs, options.idleEvictionMs, options.maxEntities);
    this.random = seededRandom(options.seed ?? 1);
    this.relations = new ServiceRelations(options.maxEntities);
    this.resolver = new EntityResolver({ maxEntities: options.maxEntities, trustedProxyHops: options.trustedProxyHops ?? 0 });
    this.rollouts = new RolloutTracker({ changeWindowMs: options.changeWindowMs ?? DEFAULT_ROLLOUT_OPTIONS.changeWindowMs, maxWorkloads: options.maxEntities });
    this.edges = new EdgeLearner(this.rollouts, { maxCallers: options.maxEntities, learningMs: options.edgeLearningMs });
    this.sourceHistory = new SourceHistory({
      ...DEFAULT_SOURCE_HISTORY_OPTIONS,
      maxTargets: Math.min(DEFAULT_SOURCE_HISTORY_OPTIONS.maxTargets, options.maxEntities),
      learningMs: options.edgeLearningMs,
    });
    if (clock) {
      this.closedUpTo = clock.closedUpTo;
      this.maxTimestamp = clock.maxTimestamp;
    }
    // Another version (or none: a checkpoint from before it was saved) starts empty.
    if (saved?.version === 1) restoreFeatureSnapshot({ resolver: this.resolver, edges: this.edges, rollouts: this.rollouts }, saved, options.maxEntities);
  }

  /** Event-time progress, saved with a checkpoint so a restart knows which windows are closed. */
  clock(): FeatureClock {
    return { closedUpTo: this.closedUpTo, maxTimestamp: this.maxTimestamp };
  }

  /**
   * What was learned beyond the open windows, to pass back to the constructor after a restart
   * (see {@link takeFeatureSnapshot}).
   */
  snapshot(): FeatureSnapshot {
    return takeFeatureSnapshot({ resolver: this.resolver, edges: this.edges, rollouts: this.rollouts }, {
      maxEntities: this.options.maxEntities,
      ...(this.options.maxSnapshotBytes !== undefined ? { maxSnapshotBytes: this.options.maxSnapshotBytes } : {}),
      closed: (at) => this.closed(at),
    });
  }

  /** Number of entities currently tracked. */
  get trackedEntities(): number {
    return this.entities.size;
  }

  /** Access-log lines whose caller had no valid address to name a principal by. */
  get unattributedCallers(): number {
    return this.resolver.unattributedCallers;
  }

  /** How entities talk, as learned so far (see {@link callGraphOf}). */
  callGraph(): CallGraph {
    return callGraphOf(this.edges, this.relations);
  }

  /** Records what is learned of the call graph from now on, for {@link takeLearned}. */
  recordLearned(): void {
    this.learned ??= { edges: [], served: [], models: [] };
    this.edges.onLearned = (caller, callee) => { this.learned?.edges.push([caller, callee]); };
  }

  /** What was learned of the call graph since the last call (undefined unless recording, or nothing new). */
  takeLearned(): LearnedRelations | undefined {
    const learned = this.learned;
    if (learned === undefined || (learned.edges.length === 0 && learned.served.length === 0 && learned.models.length === 0)) return undefined;
    this.learned = { edges: [], served: [], models: [] };
    return learned;
  }

  /** Number of callers whose edges are being learned (bounded by maxEntities). */
  get learnedCallers(): number {
    return this.edges.size;
  }

  ingest(record: ParsedRecord): IngestResult {
    const windowStart = record.timestamp - (record.timestamp % this.options.windowMs);
    if (windowStart + this.options.windowMs <= this.closedUpTo) return 'late';
    if (record.timestamp > this.maxTimestamp) this.maxTimestamp = record.timestamp;
    switch (record.kind) {
      case 'access-log':
        return this.ingestAccessLog(record, windowStart);
      case 'model-telemetry':
        this.ingestTelemetry(record, windowStart);
        return 'accepted';
      case 'drift-metric':
        this.ingestDrift(record, windowStart);
        return 'accepted';
      case 'falco-event':
        return this.ingestFalco(record, windowStart);
    }
  }

  /** Closes the windows the watermark has passed. */
  advance(): AdvanceResult {
    return this.closeUpTo(this.maxTimestamp - this.options.allowedLatenessMs);
  }

  /**
   * Closes the windows that event time `eventTime` has passed, allowing for lateness. The caller
   * owns event time (see `EventTimeGuard`): the newest timestamp seen is not trusted to move it, as
   * one far-future record would close every window.
   */
  advanceTo(eventTime: number): AdvanceResult {
    return this.closeUpTo(eventTime - this.options.allowedLatenessMs);
  }

  /** Closes every open window (end of input). */
  flush(): AdvanceResult {
    return this.closeUpTo(Number.POSITIVE_INFINITY);
  }

  /** Principals no longer tracked are dropped from the resolver's index of them. */
  protected idleEntitiesForgotten(): void {
    this.resolver.forgetPrincipals((key) => this.entities.has(key));
  }

  private ingestAccessLog(r: AccessLogRecord, windowStart: number): IngestResult {
    const direction = directionOf(r);
    const logging = this.resolver.loggingPod(r, direction);
    if (logging === undefined) return 'unattributed';
    const gateway = logging.gateway;
    const workload = this.window(logging.workload, windowStart, r.timestamp);
    const pod = this.window(logging.pod, windowStart, r.timestamp);
    const revision = revisionOf(logging.pod.labels, logging.owner.pod, logging.owner.workload);
    if (revision !== undefined) this.rollouts.observe(logging.workload.key, revision, r.timestamp);

    let principalAcc: WindowAccumulator | undefined;
    if (direction === 'inbound' || gateway) {
      const caller = this.resolver.callerOf(r, gateway);
      principalAcc = caller ? this.window(caller.principal, windowStart, r.timestamp) : undefined;
      const path = this.names.pathOf(r);
      tallyServed(workload, r, path, this.random);
      tallyServed(pod, r, path, this.random);
      if (r.protocol !== undefined) tallyServed(this.window(this.routes.route(logging.workload, this.templates.of(r.method, path), r.timestamp), windowStart, r.timestamp), r, path, this.random);
      // Across principals, on the workload that answered (at a gateway, the entry point): the only
      // place the callers are named from what the mesh saw, not from headers a client wrote.
      if (caller) {
        this.observeSource(workload, logging.workload.key, caller.principal.key, r);
        if (this.relations.served(caller.principal.key, logging.workloadPath)) this.learned?.served.push([caller.principal.key, logging.workloadPath]);
      }
      if (principalAcc) {
        tallyServed(principalAcc, r, path, this.random);
        if (caller?.claimedForwardedFor !== undefined) principalAcc.addClaimedForwardedFor(caller.claimedForwardedFor);
      }
    }
    if (direction === 'outbound') {
      const callee = this.names.calleeOf(r);
      const edge = this.edges.observe(logging.workloadPath, logging.workload, revision, callee, r.timestamp);
      // What a gateway forwards into the mesh is its caller's upload, not the gateway's egress:
      // counted there, twenty large uploads would make the mesh's front door the suspect. Its own
      // requests to hosts outside the mesh stay its egress.
      const forwarded = gateway && this.resolver.forwardsIntoMesh(r);
      tallyEgress(workload, r, callee, edge, forwarded ? 0 : r.bytesReceived);
      tallyEgress(pod, r, callee, edge, forwarded ? 0 : r.bytesReceived);
      if (forwarded && principalAcc) tallyEgress(principalAcc, r, callee, undefined, r.bytesReceived);
      const host = externalHost(r);
      if (host !== undefined) tallyServed(this.window(this.routes.authority(logging.workload, host, r.timestamp), windowStart, r.timestamp), r, this.names.pathOf(r), this.random);
    }
    return 'accepted';
  }

  private ingestTelemetry(r: ModelTelemetryRecord, windowStart: number): void {
    const model = modelEntity(this.versions.placed(r.model, r.timestamp));
    const acc = this.window(model, windowStart, r.timestamp);
    const server = this.relations.modelServedBy(model.key, model.namespace ?? 'default', r.model.pod);
    if (server !== undefined) this.learned?.models.push([model.key, server]);
    tallyTelemetry(acc, r);
  }

  private ingestDrift(r: DriftMetricRecord, windowStart: number): void {
    tallyDrift(this.window(modelEntity(this.versions.placed(r.model, r.timestamp)), windowStart, r.timestamp), r, this.datasetDrift);
  }

  /**
   * A Falco alert goes to the pod Falco attributed it to, the same `pod:<namespace>/<name>` entity
   * the pod's access-log lines feed, so a shell in a pod and that pod's new egress edge are one
   * story. An alert without a pod (a host event) is counted as unattributed.
   */
  private ingestFalco(r: FalcoEventRecord, windowStart: number): IngestResult {
    if (r.pod === undefined) return 'unattributed';
    const known = this.resolver.knownPod(r.pod.namespace, r.pod.name);
    const entity: Entity = known ?? {
      key: `pod:${r.pod.namespace}/${r.pod.name}`, kind: 'pod', namespace: r.pod.namespace, name: r.pod.name,
      pod: r.pod.name, workload: workloadName(r.pod.name, undefined) ?? r.pod.name,
    };
    const acc = this.window(entity, windowStart, r.timestamp);
    acc.falco ??= new FalcoTally();
    acc.falco.add(r);
    return 'accepted';
  }

  /** Counts the line's caller among the sources of the workload that served it. */
  private observeSource(target: WindowAccumulator, targetKey: string, source: string, r: AccessLogRecord): void {
    const refused = r.protocol !== undefined && (r.responseCode === 401 || r.responseCode === 403);
    target.addSource(source, refused, this.sourceHistory, targetKey, r.timestamp);
  }
}
