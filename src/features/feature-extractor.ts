import type { AccessLogRecord, DriftMetricRecord, FalcoEventRecord, ModelTelemetryRecord, ParsedRecord } from '../parse/records.js';
import { copyString } from '../shared/copy-string.js';
import { seededRandom } from '../shared/random.js';
import { workloadName, type Entity } from './entity.js';
import { EntityResolver } from './entity-resolver.js';
import { EntityTable, type TrackedEntity } from './entity-table.js';
import { EntityWindows } from './entity-windows.js';
import { FalcoTally } from './falco-window-evidence.js';
import { RecencyMap } from './recency-map.js';
import { DEFAULT_ROLLOUT_OPTIONS, revisionOf, RolloutTracker, type Rollout } from './rollout-tracker.js';
import { ServiceRelations } from './service-relations.js';
import { DEFAULT_SOURCE_HISTORY_OPTIONS, SourceHistory } from './source-history.js';
import type { FeatureWindow } from './feature-window.js';
import { hostOf, type IpOwner } from './ip-directory.js';
import { externalHost, RouteTable } from './route-table.js';
import { routeTemplate } from './route-template.js';
import { addDatasetDrift, completeModelFeatures, isDatasetLevel, type DatasetDrift } from './model-window-evidence.js';
import { WindowAccumulator } from './window-accumulator.js';

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

/** What advancing event time produced. */
export interface AdvanceResult {
  readonly windows: FeatureWindow[];
  /** Entities forgotten because they went quiet: their detector state can go too. */
  readonly evicted: string[];
}

/**
 * A tracked entity: its open windows (it is their EntityWindows, one object rather than two), when
 * it was seen, and its links in the entity table's recency order.
 */
class EntityState extends EntityWindows implements TrackedEntity {
  older: TrackedEntity | undefined = undefined;
  newer: TrackedEntity | undefined = undefined;

  constructor(
    public entity: Entity,
    public lastSeen: number,
    public movedAt: number,
    /** Start of the first window it was tracked in: until that closes, no detector has seen it. */
    readonly since: number,
  ) {
    super();
  }
}

interface CallerEdges {
  readonly firstSeen: number;
  /** Callee -> event time it was first called. */
  readonly edges: Map<string, number>;
  /**
   * Callee -> the revision whose rollout brought the edge: the edge is known to that revision and
   * later ones only, so a pod of an older revision making it is still flagged.
   */
  introducedBy?: Map<string, string>;
}

/** A new edge and, when a pod of a rollout in its change window made it, the rollout. */
interface NewEdge {
  readonly edge: string;
  readonly rollout?: string;
}

/**
 * What the extractor has learned that outlives its windows, saved with a checkpoint as JSON: the
 * address directory, the logging pods seen with Kubernetes metadata and the caller -> callee edges.
 * Bounded like the extractor. Only edges first seen in closed windows are kept: the records of the
 * windows still open are read again after a restart and must find their edges new again.
 */
export interface FeatureSnapshot {
  readonly version: 1;
  /** Distinct label sets (the pods of one ReplicaSet share theirs). */
  readonly labels: Readonly<Record<string, string>>[];
  /** Pods: [namespace, pod, workload]. */
  readonly owners: [string, string, string][];
  /** The address directory, oldest first: [ip, index in `owners`]. */
  readonly ips: [string, number][];
  /** Logging pods seen with metadata, oldest first: [index in `owners`, index in `labels` or -1]. */
  readonly pods: [number, number][];
  /** Callers, oldest first: [namespace/workload, first seen (ms), callees]. */
  readonly callers: [string, number, string[]][];
  /** Workloads' revisions (absent in snapshots from before it was saved): [workload key, revision, first seen (ms)]. */
  readonly revisions?: [string, string, number][];
}

const MAX_EDGES_PER_CALLER = 4096;
/** Distinct request paths shared; past it the cache starts over. */
const MAX_CACHED_PATHS = 4096;
/** Destination services whose callee name is remembered; past it the cache starts over. */
const MAX_CACHED_CALLEES = 4096;
/** A quarter of Kafka's default 1 MB message limit, leaving the rest to the detector baselines. */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 256 * 1024;
/** The snapshot's keys and brackets. */
const SNAPSHOT_FRAME_BYTES = 100;
/** An entry's brackets, separators and up to 7-digit indexes: `["<ip>",1234567],` or `[1234567,1234567],`. */
const INDEX_ENTRY_BYTES = 20;
const NOTHING_CLOSED: AdvanceResult = Object.freeze({ windows: [], evicted: [] });

/**
 * Turns parsed records into per-entity feature windows (workload, pod, principal, model) in event
 * time. Windows close when the watermark (newest timestamp minus allowed lateness) passes their
 * end; a record for a window already closed is reported `late` so the caller can dead-letter it.
 */
export class FeatureExtractor {
  private readonly entities: EntityTable<EntityState>;
  /** Entities evicted to stay within `maxEntities` that a detector may have state for. */
  private evictedForRoom: string[] = [];
  /** Per open-window list: how many of its entities were evicted since (compacted when half). */
  private readonly evictedFromWindow = new WeakMap<EntityState[], number>();
  private readonly callers = new RecencyMap<string, CallerEdges>();
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
  private readonly random: () => number;
  /** Dataset-level drift summaries of the open model windows, kept apart from the column statistics. */
  private readonly datasetDrift = new WeakMap<WindowAccumulator, DatasetDrift>();
  private maxTimestamp = Number.NEGATIVE_INFINITY;
  /** Every window ending at or before this is closed. */
  private closedUpTo = Number.NEGATIVE_INFINITY;
  /** Entities with an open accumulator, by window start: closing a window visits only them. */
  private readonly openWindows = new Map<number, EntityState[]>();
  /** Event time of the last scan for idle entities. */
  private lastEvictionScan = Number.NEGATIVE_INFINITY;
  /** Request paths seen lately, each one string (bounded: emptied when full). */
  private readonly paths = new Map<string, string>();
  /** Destination service -> callee name (bounded: emptied when full). */
  private readonly callees = new Map<string, string>();

  constructor(private readonly options: FeatureExtractorOptions = DEFAULT_FEATURE_OPTIONS, clock?: FeatureClock, saved?: FeatureSnapshot) {
    this.random = seededRandom(options.seed ?? 1);
    this.relations = new ServiceRelations(options.maxEntities);
    this.resolver = new EntityResolver({ maxEntities: options.maxEntities, trustedProxyHops: options.trustedProxyHops ?? 0 });
    this.entities = new EntityTable(options.maxEntities, options.windowMs);
    this.rollouts = new RolloutTracker({ changeWindowMs: options.changeWindowMs ?? DEFAULT_ROLLOUT_OPTIONS.changeWindowMs, maxWorkloads: options.maxEntities });
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
    if (saved?.version === 1) this.restore(saved);
  }

  /** Event-time progress, saved with a checkpoint so a restart knows which windows are closed. */
  clock(): FeatureClock {
    return { closedUpTo: this.closedUpTo, maxTimestamp: this.maxTimestamp };
  }

  /**
   * What was learned beyond the open windows, to pass back to the constructor after a restart.
   * Within `maxSnapshotBytes` of JSON: the newest callers in up to half of it (whole, never some of
   * their edges, which would flag known edges as new), then the newest addresses, then the newest
   * logging pods. What is left out is learned again, as without a snapshot.
   */
  snapshot(): FeatureSnapshot {
    const budget = (this.options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES) - SNAPSHOT_FRAME_BYTES;
    let room = budget / 2;
    const callers: [string, number, string[]][] = [];
    const known = [...this.callers];
    for (let i = known.length - 1; i >= 0 && callers.length < this.options.maxEntities; i--) {
      const [caller, learned] = known[i] ?? [];
      if (caller === undefined || learned === undefined) continue;
      const callees: string[] = [];
      for (const [callee, firstSeen] of learned.edges) if (this.closed(firstSeen)) callees.push(callee);
      const entry: [string, number, string[]] = [caller, learned.firstSeen, callees];
      const bytes = jsonBytes(entry) + 1;
      if (bytes > room) break;
      room -= bytes;
      callers.push(entry);
    }
    room += budget - budget / 2;

    const owners: [string, string, string][] = [];
    const ownerIndex = new Map<string, number>();
    const labels: Readonly<Record<string, string>>[] = [];
    const labelIndex = new Map<string, number>();
    // An owner or label set enters its table with the first entry that refers to it, if both fit.
    const refer = (entryBytes: number, owner: IpOwner, podLabels?: Readonly<Record<string, string>>): [number, number] | undefined => {
      const ownerKey = JSON.stringify([owner.namespace, owner.pod, owner.workload]);
      const labelKey = podLabels === undefined ? undefined : JSON.stringify(podLabels);
      let o = ownerIndex.get(ownerKey);
      let l = labelKey === undefined ? -1 : labelIndex.get(labelKey);
      const bytes = entryBytes + (o === undefined ? Buffer.byteLength(ownerKey) + 1 : 0) + (l === undefined && labelKey !== undefined ? Buffer.byteLength(labelKey) + 1 : 0);
      if (bytes > room) return undefined;
      room -= bytes;
      if (o === undefined) {
        o = owners.push([owner.namespace, owner.pod, owner.workload]) - 1;
        ownerIndex.set(ownerKey, o);
      }
      if (l === undefined && labelKey !== undefined && podLabels !== undefined) {
        l = labels.push(podLabels) - 1;
        labelIndex.set(labelKey, l);
      }
      return [o, l ?? -1];
    };
    const ips: [string, number][] = [];
    const addresses = [...this.resolver.ips.entries()];
    for (let i = addresses.length - 1; i >= 0; i--) {
      const [ip, owner] = addresses[i] ?? [];
      if (ip === undefined || owner === undefined) continue;
      const ref = refer(Buffer.byteLength(ip) + INDEX_ENTRY_BYTES, owner);
      if (ref === undefined) break;
      ips.push([ip, ref[0]]);
    }
    const pods: [number, number][] = [];
    const logging = [...this.resolver.loggingPods()];
    for (let i = logging.length - 1; i >= 0 && pods.length < this.options.maxEntities; i--) {
      const pod = logging[i];
      if (pod === undefined) continue;
      const ref = refer(INDEX_ENTRY_BYTES, pod.owner, pod.pod.labels);
      if (ref === undefined) break;
      pods.push(ref);
    }
    const revisions: [string, string, number][] = [];
    const sightings = this.rollouts.entries();
    for (let i = sightings.length - 1; i >= 0; i--) {
      const entry = sightings[i];
      if (entry === undefined) continue;
      const bytes = jsonBytes(entry) + 1;
      if (bytes > room) break;
      room -= bytes;
      revisions.push(entry);
    }
    return { version: 1, labels, owners, ips: ips.reverse(), pods: pods.reverse(), callers: callers.reverse(), revisions: revisions.reverse() };
  }

  /** Number of entities currently tracked. */
  get trackedEntities(): number {
    return this.entities.size;
  }

  /** Access-log lines whose caller had no valid address to name a principal by. */
  get unattributedCallers(): number {
    return this.resolver.unattributedCallers;
  }

  /**
   * How entities talk, as learned so far: caller -> callee edges between workloads (a callee
   * `<service>.<namespace>` is the workload of that name), the workloads that served a principal,
   * and the workloads serving a model. Pods answer for their workload.
   */
  callGraph(): {
    calls(caller: Entity, callee: Entity): boolean;
    served(workload: Entity, principal: Entity): boolean;
    serves(workload: Entity, model: Entity): boolean;
  } {
    const workloadOf = (e: Entity): string | undefined =>
      e.namespace === undefined ? undefined : e.kind === 'workload' ? `${e.namespace}/${e.name}` : e.kind === 'pod' && e.workload !== undefined ? `${e.namespace}/${e.workload}` : undefined;
    return {
      calls: (caller, callee) => {
        const from = workloadOf(caller);
        const to = workloadOf(callee);
        if (from === undefined || to === undefined || callee.namespace === undefined) return false;
        const service = `${to.slice(callee.namespace.length + 1)}.${callee.namespace}`;
        return this.callers.get(from)?.edges.has(service) ?? false;
      },
      served: (workload, principal) => {
        const w = workloadOf(workload);
        return w !== undefined && principal.kind === 'principal' && this.relations.hasServed(w, principal.key);
      },
      serves: (workload, model) => {
        const w = workloadOf(workload);
        return w !== undefined && model.kind === 'model' && this.relations.serves(w, model.key);
      },
    };
  }

  /** Number of callers whose edges are being learned (bounded by maxEntities). */
  get learnedCallers(): number {
    return this.callers.size;
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

  private closeUpTo(watermark: number): AdvanceResult {
    const w = this.options.windowMs;
    const lastClosable = watermark === Number.POSITIVE_INFINITY ? watermark : watermark - (watermark % w);
    // Called for every record: the common case (nothing to close) must not allocate.
    if (lastClosable <= this.closedUpTo) return NOTHING_CLOSED;
    const windows: FeatureWindow[] = [];
    const evicted: string[] = this.takeEvictedForRoom();
    for (const [start, states] of this.openWindows) {
      if (start + w > lastClosable) continue;
      this.openWindows.delete(start);
      for (const state of states) {
        const acc = state.get(start);
        if (acc === undefined) continue;
        const { features, details } = acc.features(w);
        completeModelFeatures(acc, this.datasetDrift.get(acc), features);
        const falco = acc.falco;
        if (falco !== undefined) Object.assign(features, falco.features());
        windows.push({
          entity: state.entity, windowStart: start, windowEnd: start + w, features, details,
          ...(falco === undefined ? {} : { falco: falco.summaries() }),
        });
        state.delete(start);
      }
    }
    // Idle entities are looked for a few times per eviction period, not at every window.
    if (watermark - this.lastEvictionScan >= this.options.idleEvictionMs / 8) {
      this.lastEvictionScan = watermark;
      for (const [key, state] of this.entities) {
        if (state.size === 0 && state.lastSeen < watermark - this.options.idleEvictionMs) {
          this.entities.delete(key);
          evicted.push(key);
        }
      }
      this.resolver.forgetPrincipals((key) => this.entities.has(key));
    }
    this.closedUpTo = lastClosable;
    windows.sort((a, b) => a.windowStart - b.windowStart || (a.entity.key < b.entity.key ? -1 : 1));
    return { windows, evicted };
  }

  /** Whether the window holding event time `at` is closed. */
  private closed(at: number): boolean {
    const w = this.options.windowMs;
    return (Math.floor(at / w) + 1) * w <= this.closedUpTo;
  }

  private restore(saved: FeatureSnapshot): void {
    const owners = saved.owners.map(([namespace, pod, workload]): IpOwner => ({ namespace, pod, workload }));
    for (const [ip, i] of saved.ips) {
      const owner = owners[i];
      if (owner !== undefined) this.resolver.ips.set(ip, owner);
    }
    for (const [i, l] of newest(saved.pods, this.options.maxEntities)) {
      const owner = owners[i];
      if (owner !== undefined) this.resolver.restorePod(owner, saved.labels[l]);
    }
    for (const [caller, firstSeen, callees] of newest(saved.callers, this.options.maxEntities)) {
      // Every saved edge was first seen in a window closed before the checkpoint.
      const edges = new Map(callees.slice(0, MAX_EDGES_PER_CALLER).map((callee) => [callee, Number.NEGATIVE_INFINITY]));
      this.callers.set(caller, { firstSeen, edges });
    }
    for (const entry of Array.isArray(saved.revisions) ? newest(saved.revisions, this.options.maxEntities) : []) {
      const [workload, revision, firstSeen] = Array.isArray(entry) ? entry : [];
      if (typeof workload === 'string' && typeof revision === 'string' && typeof firstSeen === 'number' && Number.isFinite(firstSeen)) {
        this.rollouts.observe(workload, revision, firstSeen);
      }
    }
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
      const path = this.pathOf(r);
      served(workload, r, path, this.random);
      served(pod, r, path, this.random);
      if (r.protocol !== undefined) served(this.window(this.routes.route(logging.workload, routeTemplate(r.method, r.path), r.timestamp), windowStart, r.timestamp), r, path, this.random);
      // Across principals, on the workload that answered (at a gateway, the entry point): the only
      // place the callers are named from what the mesh saw, not from headers a client wrote.
      if (caller) {
        this.observeSource(workload, logging.workload.key, caller.principal.key, r);
        this.relations.served(caller.principal.key, logging.workloadPath);
      }
      if (principalAcc) {
        served(principalAcc, r, path, this.random);
        if (caller?.claimedForwardedFor !== undefined) principalAcc.addClaimedForwardedFor(caller.claimedForwardedFor);
      }
    }
    if (direction === 'outbound') {
      const callee = this.calleeOf(r);
      const edge = this.observeEdge(logging.workloadPath, logging.workload, revision, callee, r.timestamp);
      // What a gateway forwards into the mesh is its caller's upload, not the gateway's egress:
      // counted there, twenty large uploads would make the mesh's front door the suspect. Its own
      // requests to hosts outside the mesh stay its egress.
      const forwarded = gateway && this.resolver.forwardsIntoMesh(r);
      egress(workload, r, callee, edge, forwarded ? 0 : r.bytesReceived);
      egress(pod, r, callee, edge, forwarded ? 0 : r.bytesReceived);
      if (forwarded && principalAcc) egress(principalAcc, r, callee, undefined, r.bytesReceived);
      const host = externalHost(r);
      if (host !== undefined) served(this.window(this.routes.authority(logging.workload, host, r.timestamp), windowStart, r.timestamp), r, this.pathOf(r), this.random);
    }
    return 'accepted';
  }

  private ingestTelemetry(r: ModelTelemetryRecord, windowStart: number): void {
    const model = modelEntity(r.model);
    const acc = this.window(model, windowStart, r.timestamp);
    this.relations.modelServedBy(model.key, model.namespace ?? 'default', r.model.pod);
    const requests = r.counts?.requests ?? (r.granularity === 'request' ? 1 : 0);
    acc.modelIntervals++;
    acc.modelRequests += requests;
    acc.modelFailures += r.counts?.failure ?? (r.statusCode !== undefined && r.statusCode >= 500 ? 1 : 0);
    const confidence = r.prediction?.confidence;
    if (confidence !== undefined) {
      // An interval record carries a mean: weight it by the requests it stands for.
      const weight = r.granularity === 'interval' ? Math.max(requests, 1) : 1;
      acc.confidenceSum += confidence * weight;
      acc.confidenceCount += weight;
    }
    const p95 = r.latencyMs?.p95 ?? r.latencyMs?.total;
    if (p95 !== undefined && (acc.modelLatencyP95 === undefined || !(p95 <= acc.modelLatencyP95))) acc.modelLatencyP95 = p95;
  }

  private ingestDrift(r: DriftMetricRecord, windowStart: number): void {
    const acc = this.window(modelEntity(r.model), windowStart, r.timestamp);
    if (isDatasetLevel(r)) {
      let summary = this.datasetDrift.get(acc);
      if (summary === undefined) {
        summary = {};
        this.datasetDrift.set(acc, summary);
      }
      addDatasetDrift(summary, r);
      return;
    }
    if (acc.driftStatMax === undefined || !(r.statistic <= acc.driftStatMax)) acc.driftStatMax = r.statistic;
    if (r.method === 'psi' && (acc.psiMax === undefined || !(r.statistic <= acc.psiMax))) acc.psiMax = r.statistic;
    acc.driftFeatures.set(r.feature, (acc.driftFeatures.get(r.feature) ?? false) || r.driftDetected);
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
    target.addSource(source, refused, () => this.sourceHistory.observe(targetKey, source, r.timestamp));
  }

  /**
   * Returns the edge when this caller -> callee edge is new and the caller is past learning, with
   * the rollout when the calling pod's revision is within its change window. An edge a rollout
   * brought is new again, and no change, when a pod of an older revision makes it.
   */
  private observeEdge(caller: string, workload: Entity, revision: string | undefined, callee: string, timestamp: number): NewEdge | undefined {
    let known = this.callers.get(caller);
    if (known === undefined) {
      known = { firstSeen: timestamp, edges: new Map() };
      this.callers.set(caller, known);
      // Bounded like the entities: the longest-known caller goes first and, should it come back,
      // learns its edges again (its learning period starts over, so nothing is flagged meanwhile).
      if (this.callers.size > this.options.maxEntities) this.callers.shift();
    }
    if (known.edges.has(callee)) {
      const introducer = known.introducedBy?.get(callee);
      if (introducer === undefined || revision === undefined || revision === introducer) return undefined;
      // Compared as first seen now (a straggling line may have moved either back); a revision
      // forgotten or unknown (a line without metadata) has nothing to compare: the edge is known.
      const mine = this.rollouts.firstSeen(workload.key, revision);
      const theirs = this.rollouts.firstSeen(workload.key, introducer);
      if (mine === undefined || theirs === undefined || mine >= theirs) return undefined;
      known.introducedBy?.delete(callee);
      return { edge: `${caller} -> ${callee}` };
    }
    if (known.edges.size >= MAX_EDGES_PER_CALLER) return timestamp - known.firstSeen >= this.options.edgeLearningMs ? { edge: `${caller} -> ${callee}` } : undefined;
    known.edges.set(callee, timestamp);
    if (timestamp - known.firstSeen < this.options.edgeLearningMs) return undefined;
    const rollout = revision === undefined ? undefined : this.rollouts.rolloutAt(workload.key, revision, timestamp);
    if (rollout === undefined) return { edge: `${caller} -> ${callee}` };
    (known.introducedBy ??= new Map()).set(callee, rollout.to);
    return { edge: `${caller} -> ${callee}`, rollout: rolloutLabel(workload.name, rollout) };
  }

  /**
   * The request's path without its query, one string per distinct path: windows keep their paths,
   * and a mesh serves few, each in every line.
   */
  private pathOf(r: AccessLogRecord): string | undefined {
    const raw = r.path;
    if (raw === undefined) return undefined;
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const known = this.paths.get(path);
    if (known !== undefined) return known;
    // Clients choose paths: bounded, and a copy (a cut string would keep its whole line alive).
    if (this.paths.size >= MAX_CACHED_PATHS) this.paths.clear();
    const copy = copyString(path);
    this.paths.set(copy, copy);
    return copy;
  }

  /** The callee of an outbound request: `service.namespace` inside the mesh, else the external host. */
  private calleeOf(r: AccessLogRecord): string {
    const service = r.destinationService;
    if (service === undefined) return r.requestedServerName ?? r.authority ?? hostOf(r.upstreamHost) ?? r.upstreamCluster ?? 'unknown';
    // A mesh has few services, and the parser hands out one string per cluster name.
    let callee = this.callees.get(service);
    if (callee === undefined) {
      callee = calleeOfService(service);
      if (this.callees.size >= MAX_CACHED_CALLEES) this.callees.clear();
      this.callees.set(service, callee);
    }
    return callee;
  }

  private window(entity: Entity, windowStart: number, timestamp: number): WindowAccumulator {
    let state = this.entities.get(entity.key);
    if (state === undefined) {
      state = new EntityState(entity, timestamp, timestamp, windowStart);
      const evicted = this.entities.add(state);
      if (evicted !== undefined) this.dropEvicted(evicted);
    } else {
      this.entities.touch(state, timestamp);
      // A pod first seen in a Falco alert is named without its labels: the first access-log line
      // that knows them completes it, so label-matching detectors and playbooks see the pod.
      if (state.entity !== entity && state.entity.labels === undefined && entity.labels !== undefined) state.entity = entity;
    }
    let acc = state.get(windowStart);
    if (acc === undefined) {
      acc = new WindowAccumulator();
      state.set(windowStart, acc);
      const open = this.openWindows.get(windowStart);
      if (open === undefined) this.openWindows.set(windowStart, [state]);
      else open.push(state);
    }
    return acc;
  }

  /**
   * Forgets an entity evicted to make room: its open windows are dropped (closing skips an entity
   * without an accumulator for the window) and, if a window of it has closed, so detectors may hold
   * state for it, the next advance reports it evicted.
   */
  private dropEvicted(state: EntityState): void {
    for (const start of state.keys()) {
      const open = this.openWindows.get(start);
      if (open === undefined) continue;
      const dead = (this.evictedFromWindow.get(open) ?? 0) + 1;
      // A flood of one-line entities would otherwise keep every evicted one listed until the
      // window closes: compact the list once half of it is gone (amortised O(1) per eviction).
      if (dead * 2 > open.length && open.length >= 64) {
        state.clear();
        const live = open.filter((s) => s.has(start));
        this.openWindows.set(start, live);
        this.evictedFromWindow.set(live, 0);
        // The entity's windows are cleared: its other windows are not counted (as when this
        // walked a Map, whose iteration ends once it is cleared).
        break;
      } else {
        this.evictedFromWindow.set(open, dead);
      }
    }
    state.clear();
    if (state.since + this.options.windowMs <= this.closedUpTo) this.evictedForRoom.push(state.entity.key);
  }

  private takeEvictedForRoom(): string[] {
    const evicted = this.evictedForRoom;
    if (evicted.length > 0) this.evictedForRoom = [];
    return evicted;
  }
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** The last `max` items of a list kept oldest first. */
function newest<T>(items: readonly T[], max: number): readonly T[] {
  return items.length > max ? items.slice(items.length - max) : items;
}

/** `path`: the request's path without its query (see `pathOf`). */
function served(acc: WindowAccumulator, r: AccessLogRecord, path: string | undefined, random: () => number): void {
  acc.requests++;
  if (r.protocol !== undefined) {
    acc.http++;
    const code = r.responseCode;
    if (code >= 400 && code < 500) {
      acc.c4xx++;
      if (code === 401 || code === 403) acc.c401403++;
    } else if (code >= 500 || code === 0) {
      acc.c5xx++;
    }
  }
  if (r.responseFlags.length > 0) acc.flagged++;
  acc.bytesIn += r.bytesReceived;
  acc.bytesOut += r.bytesSent;
  acc.addDuration(r.duration, random);
  if (path !== undefined) acc.addPath(path);
}

/** `bytes`: BYTES_RECEIVED of the outbound line (what the application sent upstream), or 0 if not its own. */
function egress(acc: WindowAccumulator, r: AccessLogRecord, callee: string, newEdge: NewEdge | undefined, bytes: number): void {
  acc.outbound++;
  acc.egressBytes += bytes;
  acc.addPeer(callee);
  if (newEdge === undefined) return;
  if (newEdge.rollout === undefined) acc.addNewEdge(newEdge.edge);
  else acc.addRolloutEdge(newEdge.edge, newEdge.rollout);
}

/** How evidence names a rollout: `rollout: <workload> <old revision> -> <new revision>`. */
function rolloutLabel(workload: string, rollout: Rollout): string {
  return `rollout: ${workload} ${rollout.from} -> ${rollout.to}`;
}

function directionOf(r: AccessLogRecord): 'inbound' | 'outbound' | undefined {
  if (r.direction !== undefined) return r.direction;
  switch (r.upstreamCluster) {
    case 'PassthroughCluster':
    case 'BlackHoleCluster':
      return 'outbound';
    case 'InboundPassthroughCluster':
    case 'InboundPassthroughClusterIpv4':
    case 'InboundPassthroughClusterIpv6':
      return 'inbound';
    default:
      return undefined;
  }
}

/** `service.namespace` for a Kubernetes service FQDN, else the name itself. */
function calleeOfService(service: string): string {
  const inMesh = /^([^.]+)\.([^.]+)\.svc(\.|$)/.exec(service);
  return inMesh ? `${inMesh[1] ?? ''}.${inMesh[2] ?? ''}` : service;
}

function modelEntity(model: { name: string; version?: string; namespace?: string; pod?: string }): Entity {
  const ns = model.namespace ?? 'default';
  const version = model.version ?? 'unversioned';
  return {
    key: `model:${ns}/${model.name}@${version}`, kind: 'model', namespace: ns, name: model.name,
    model: model.name, version,
  };
}
