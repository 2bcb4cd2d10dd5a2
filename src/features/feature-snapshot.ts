import type { EdgeLearner } from './edge-learner.js';
import type { EntityResolver } from './entity-resolver.js';
import type { IpOwner } from './ip-directory.js';
import type { RolloutTracker } from './rollout-tracker.js';

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

/** A quarter of Kafka's default 1 MB message limit, leaving the rest to the detector baselines. */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 256 * 1024;
/** The snapshot's keys and brackets. */
const SNAPSHOT_FRAME_BYTES = 100;
/** An entry's brackets, separators and up to 7-digit indexes: `["<ip>",1234567],` or `[1234567,1234567],`. */
const INDEX_ENTRY_BYTES = 20;
/** What the extractor has learned beyond its windows: the parts a snapshot saves. */
export interface FeatureMemory {
  readonly resolver: EntityResolver;
  readonly edges: EdgeLearner;
  readonly rollouts: RolloutTracker;
}

/** How large a snapshot may be, and which edges it may hold. */
export interface SnapshotOptions {
  readonly maxEntities: number;
  readonly maxSnapshotBytes?: number;
  /** Whether the window holding event time `at` is closed: only edges first seen in one are saved. */
  closed(at: number): boolean;
}

/**
 * What was learned beyond the open windows, to pass back to the extractor after a restart.
 * Within `maxSnapshotBytes` of JSON: the newest callers in up to half of it (whole, never some of
 * their edges, which would flag known edges as new), then the newest addresses, then the newest
 * logging pods. What is left out is learned again, as without a snapshot.
 */
export function takeFeatureSnapshot(memory: FeatureMemory, options: SnapshotOptions): FeatureSnapshot {
  const budget = (options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES) - SNAPSHOT_FRAME_BYTES;
  let room = budget / 2;
  const callers: [string, number, string[]][] = [];
  const known = [...memory.edges.entries()];
  for (let i = known.length - 1; i >= 0 && callers.length < options.maxEntities; i--) {
    const [caller, learned] = known[i] ?? [];
    if (caller === undefined || learned === undefined) continue;
    const callees: string[] = [];
    for (const [callee, firstSeen] of learned.edges) if (options.closed(firstSeen)) callees.push(callee);
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
  const addresses = [...memory.resolver.ips.entries()];
  for (let i = addresses.length - 1; i >= 0; i--) {
    const [ip, owner] = addresses[i] ?? [];
    if (ip === undefined || owner === undefined) continue;
    const ref = refer(Buffer.byteLength(ip) + INDEX_ENTRY_BYTES, owner);
    if (ref === undefined) break;
    ips.push([ip, ref[0]]);
  }
  const pods: [number, number][] = [];
  const logging = [...memory.resolver.loggingPods()];
  for (let i = logging.length - 1; i >= 0 && pods.length < options.maxEntities; i--) {
    const pod = logging[i];
    if (pod === undefined) continue;
    const ref = refer(INDEX_ENTRY_BYTES, pod.owner, pod.pod.labels);
    if (ref === undefined) break;
    pods.push(ref);
  }
  const revisions: [string, string, number][] = [];
  const sightings = memory.rollouts.entries();
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

/** Puts back what a snapshot saved (see {@link takeFeatureSnapshot}), within `maxEntities`. */
export function restoreFeatureSnapshot(memory: FeatureMemory, saved: FeatureSnapshot, maxEntities: number): void {
  const owners = saved.owners.map(([namespace, pod, workload]): IpOwner => ({ namespace, pod, workload }));
  for (const [ip, i] of saved.ips) {
    const owner = owners[i];
    if (owner !== undefined) memory.resolver.ips.set(ip, owner);
  }
  for (const [i, l] of newest(saved.pods, maxEntities)) {
    const owner = owners[i];
    if (owner !== undefined) memory.resolver.restorePod(owner, saved.labels[l]);
  }
  for (const [caller, firstSeen, callees] of newest(saved.callers, maxEntities)) {
    // Every saved edge was first seen in a window closed before the checkpoint.
    memory.edges.restore(caller, firstSeen, callees);
  }
  for (const entry of Array.isArray(saved.revisions) ? newest(saved.revisions, maxEntities) : []) {
    const [workload, revision, firstSeen] = Array.isArray(entry) ? entry : [];
    if (typeof workload === 'string' && typeof revision === 'string' && typeof firstSeen === 'number' && Number.isFinite(firstSeen)) {
      memory.rollouts.observe(workload, revision, firstSeen);
    }
  }
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** The last `max` items of a list kept oldest first. */
function newest<T>(items: readonly T[], max: number): readonly T[] {
  return items.length > max ? items.slice(items.length - max) : items;
}
