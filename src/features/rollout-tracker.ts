import { RecencyMap } from './recency-map.js';

/** Bounds of the rollout tracker and the change window it grants. */
export interface RolloutTrackerOptions {
  /**
   * How long after a workload's new revision is first seen its pods' new edges count as the
   * rollout's change rather than an intrusion (ms). Also how long a workload's first revision must
   * have been known before another counts as a rollout at all.
   */
  readonly changeWindowMs: number;
  /** Workloads remembered; the least recently seen is forgotten first. */
  readonly maxWorkloads: number;
}

export const DEFAULT_ROLLOUT_OPTIONS: RolloutTrackerOptions = {
  changeWindowMs: 30 * 60_000,
  maxWorkloads: 200_000,
};

/** A rollout in progress: the workload moved from revision `from` to `to`, first seen at `since`. */
export interface Rollout {
  readonly workload: string;
  readonly from: string;
  readonly to: string;
  readonly since: number;
}

/** Revisions kept per workload, newest last (older ones only ever serve as a rollout's `from`). */
const MAX_REVISIONS = 8;

interface Revision {
  readonly name: string;
  firstSeen: number;
}

/**
 * A pod's revision from the Kubernetes metadata the log shipper read from the API: the ReplicaSet's
 * `pod-template-hash` label, a StatefulSet's or DaemonSet's `controller-revision-hash`, a
 * `version` label; without labels (the OpenTelemetry Collector's k8sattributes sends none by
 * default), the ReplicaSet hash in the pod's name, which the ReplicaSet controller gave it as
 * `<deployment>-<pod-template-hash>-<suffix>`. Undefined when nothing names one: then no edge of
 * the pod is ever a change.
 */
export function revisionOf(labels: Readonly<Record<string, string>> | undefined, pod?: string, workload?: string): string | undefined {
  const labelled = labels?.['pod-template-hash'] ?? labels?.['controller-revision-hash'] ?? labels?.version;
  if (labelled !== undefined || pod === undefined || workload === undefined) return labelled;
  if (!pod.startsWith(`${workload}-`)) return undefined;
  const hashed = /^([a-z0-9]{5,10})-[a-z0-9]{5}$/.exec(pod.slice(workload.length + 1));
  return hashed?.[1];
}

/**
 * When each workload's revisions were first seen, to tell a rollout's new edges (a change) from
 * an intrusion's. A revision is a rollout while it is younger than the change window and the
 * workload had another revision known at least a change window before it: the first revision seen
 * after a start is the baseline, never a change, so restarting the engine opens no window. Bounded:
 * at most `maxWorkloads` workloads of at most eight revisions each.
 */
export class RolloutTracker {
  private readonly workloads = new RecencyMap<string, Revision[]>();

  constructor(private readonly options: RolloutTrackerOptions = DEFAULT_ROLLOUT_OPTIONS) {}

  /** Number of workloads remembered. */
  get size(): number {
    return this.workloads.size;
  }

  /** Records a line of a pod of `workload` at `revision`, at event time `at`. */
  observe(workload: string, revision: string, at: number): void {
    let revisions = this.workloads.get(workload);
    if (revisions === undefined) {
      revisions = [];
      this.workloads.set(workload, revisions);
      if (this.workloads.size > this.options.maxWorkloads) this.workloads.shift();
    }
    const last = revisions[revisions.length - 1];
    // The common case, a line of the newest revision, costs one comparison.
    if (last?.name === revision) {
      if (at < last.firstSeen) last.firstSeen = at;
      return;
    }
    const known = revisions.find((r) => r.name === revision);
    if (known !== undefined) {
      // A line of an older revision (its pods still run): only an earlier time moves it.
      if (at < known.firstSeen) known.firstSeen = at;
      return;
    }
    revisions.push({ name: revision, firstSeen: at });
    revisions.sort((a, b) => a.firstSeen - b.firstSeen);
    if (revisions.length > MAX_REVISIONS) revisions.shift();
  }

  /** When `revision` of `workload` was first seen, if it is remembered. */
  firstSeen(workload: string, revision: string): number | undefined {
    return this.workloads.get(workload)?.find((r) => r.name === revision)?.firstSeen;
  }

  /**
   * The rollout `revision` of `workload` is part of at event time `at`, or undefined when its
   * change window is over, it is the workload's baseline, or it is unknown.
   */
  rolloutAt(workload: string, revision: string, at: number): Rollout | undefined {
    const revisions = this.workloads.get(workload);
    if (revisions === undefined) return undefined;
    const i = revisions.findIndex((r) => r.name === revision);
    const current = revisions[i];
    const previous = revisions[i - 1];
    const oldest = revisions[0];
    if (current === undefined || previous === undefined || oldest === undefined) return undefined;
    if (at - current.firstSeen >= this.options.changeWindowMs || at < current.firstSeen) return undefined;
    if (current.firstSeen - oldest.firstSeen < this.options.changeWindowMs) return undefined;
    return { workload, from: previous.name, to: current.name, since: current.firstSeen };
  }

  /** Every remembered revision, oldest workload first: [workload, revision, first seen]. */
  entries(): [string, string, number][] {
    const out: [string, string, number][] = [];
    for (const [workload, revisions] of this.workloads) for (const r of revisions) out.push([workload, r.name, r.firstSeen]);
    return out;
  }
}
