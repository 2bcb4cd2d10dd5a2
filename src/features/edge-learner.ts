import type { Entity } from './entity.js';
import { RecencyMap } from './recency-map.js';
import type { Rollout, RolloutTracker } from './rollout-tracker.js';

/** Edges learned per caller at most; past it a new edge is flagged, never learned. */
export const MAX_EDGES_PER_CALLER = 4096;

/** Bounds of the learner and its learning period. */
export interface EdgeLearnerOptions {
  /** Callers remembered; the longest known goes first. */
  readonly maxCallers: number;
  /** Edges a caller makes within this long of its first appearance are learned, not flagged (ms). */
  readonly learningMs: number;
}

/** What one caller (`<namespace>/<workload>`) is known to call. */
export interface CallerEdges {
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
export interface NewEdge {
  readonly edge: string;
  readonly rollout?: string;
}

/**
 * The call graph learned from outbound lines: which workloads each workload calls, and when an
 * edge is new (a caller past its learning period calling a service it never called), or a
 * rollout's change. Bounded: `maxCallers` callers of at most {@link MAX_EDGES_PER_CALLER} edges.
 */
export class EdgeLearner {
  private readonly callers = new RecencyMap<string, CallerEdges>();
  /** Told of every edge learned (the feature extractor reports them to a response on another thread). */
  onLearned: ((caller: string, callee: string) => void) | undefined;

  constructor(private readonly rollouts: RolloutTracker, private readonly options: EdgeLearnerOptions) {}

  /** Number of callers whose edges are being learned. */
  get size(): number {
    return this.callers.size;
  }

  /** Whether `caller` (`<namespace>/<workload>`) is known to call `callee`. */
  calls(caller: string, callee: string): boolean {
    return this.callers.get(caller)?.edges.has(callee) ?? false;
  }

  /** Callers oldest first. */
  entries(): Iterable<[string, CallerEdges]> {
    return this.callers.entries();
  }

  /** Puts back a caller saved with a snapshot; its edges count as known since ever. */
  restore(caller: string, firstSeen: number, callees: readonly string[]): void {
    const edges = new Map(callees.slice(0, MAX_EDGES_PER_CALLER).map((callee) => [callee, Number.NEGATIVE_INFINITY]));
    this.callers.set(caller, { firstSeen, edges });
  }

  /**
   * Returns the edge when this caller -> callee edge is new and the caller is past learning, with
   * the rollout when the calling pod's revision is within its change window. An edge a rollout
   * brought is new again, and no change, when a pod of an older revision makes it.
   */
  observe(caller: string, workload: Entity, revision: string | undefined, callee: string, timestamp: number): NewEdge | undefined {
    let known = this.callers.get(caller);
    if (known === undefined) {
      known = { firstSeen: timestamp, edges: new Map() };
      this.callers.set(caller, known);
      // Bounded like the entities: the longest-known caller goes first and, should it come back,
      // learns its edges again (its learning period starts over, so nothing is flagged meanwhile).
      if (this.callers.size > this.options.maxCallers) this.callers.shift();
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
    if (known.edges.size >= MAX_EDGES_PER_CALLER) return timestamp - known.firstSeen >= this.options.learningMs ? { edge: `${caller} -> ${callee}` } : undefined;
    known.edges.set(callee, timestamp);
    this.onLearned?.(caller, callee);
    if (timestamp - known.firstSeen < this.options.learningMs) return undefined;
    const rollout = revision === undefined ? undefined : this.rollouts.rolloutAt(workload.key, revision, timestamp);
    if (rollout === undefined) return { edge: `${caller} -> ${callee}` };
    (known.introducedBy ??= new Map()).set(callee, rollout.to);
    return { edge: `${caller} -> ${callee}`, rollout: rolloutLabel(workload.name, rollout) };
  }
}

/** How evidence names a rollout: `rollout: <workload> <old revision> -> <new revision>`. */
function rolloutLabel(workload: string, rollout: Rollout): string {
  return `rollout: ${workload} ${rollout.from} -> ${rollout.to}`;
}
