import type { FalcoTally } from './falco-window-evidence.js';
import { SourceTally, type ServedHistory } from './source-tally.js';

/** Latency samples kept per entity window; enough for a stable p99 without unbounded memory. */
const MAX_DURATIONS = 1024;
/** Distinct peers/paths tracked per window; beyond this the count saturates (and says so). */
const MAX_DISTINCT = 512;
/** Distinct client-claimed X-Forwarded-For heads kept per window: a sample, not a log. */
const MAX_CLAIMS = 4;

/** Detail key of the X-Forwarded-For heads a principal's clients wrote: client-supplied, unverified. */
export const CLIENT_CLAIMED_FORWARDED_FOR = 'clientClaimedForwardedFor';

/**
 * Running sums of one entity over one window. Everything is a counter or a bounded sample, so a
 * window costs the same memory however much traffic it sees.
 */
export class WindowAccumulator {
  requests = 0;
  http = 0;
  c4xx = 0;
  c5xx = 0;
  c401403 = 0;
  flagged = 0;
  bytesIn = 0;
  bytesOut = 0;
  /**
   * The latency sample; `seenDurations` of them were offered, the first `min(seen, MAX_DURATIONS)`
   * slots are filled. Grown by doubling from 4: a push-grown array reserves 17 slots for the first
   * value, and most windows of most entities hold a handful of requests.
   */
  private durations: number[] | undefined;
  private seenDurations = 0;
  // A window's first path is kept in a field; a Set is made for the second distinct one.
  private firstPath: string | undefined;
  private paths: Set<string> | undefined;
  /** What the entity sent upstream, made by the first outbound request: most windows have none. */
  private egress: EgressSums | undefined;
  /**
   * What few windows have (a gateway client's claims, a target's sources, a model's sums, a pod's
   * Falco alerts), made by the first write: one field here instead of four in every window.
   */
  private rare: RareParts | undefined;

  private get rareParts(): RareParts {
    return (this.rare ??= new RareParts());
  }

  /** Model telemetry and drift sums, made by the first write: most windows are not a model's. */
  private get model(): ModelSums | undefined {
    return this.rare?.model;
  }

  private get sent(): EgressSums {
    return (this.egress ??= new EgressSums());
  }

  /** Outbound requests. */
  get outbound(): number { return this.egress?.outbound ?? 0; }
  set outbound(value: number) { this.sent.outbound = value; }
  /** Bytes sent upstream. */
  get egressBytes(): number { return this.egress?.egressBytes ?? 0; }
  set egressBytes(value: number) { this.sent.egressBytes = value; }
  /** New caller -> callee edges (bounded). */
  get newEdges(): string[] | undefined { return this.egress?.newEdges; }
  set newEdges(value: string[] | undefined) { this.sent.newEdges = value; }

  private get sums(): ModelSums {
    return (this.rareParts.model ??= new ModelSums());
  }

  get confidenceSum(): number { return this.model?.confidenceSum ?? 0; }
  set confidenceSum(value: number) { this.sums.confidenceSum = value; }
  get confidenceCount(): number { return this.model?.confidenceCount ?? 0; }
  set confidenceCount(value: number) { this.sums.confidenceCount = value; }
  /** Highest model latency p95 (or total) reported; undefined until one is. */
  get modelLatencyP95(): number | undefined { return this.model?.modelLatencyP95; }
  set modelLatencyP95(value: number | undefined) { this.sums.modelLatencyP95 = value; }
  get modelRequests(): number { return this.model?.modelRequests ?? 0; }
  set modelRequests(value: number) { this.sums.modelRequests = value; }
  get modelFailures(): number { return this.model?.modelFailures ?? 0; }
  set modelFailures(value: number) { this.sums.modelFailures = value; }
  get modelIntervals(): number { return this.model?.modelIntervals ?? 0; }
  set modelIntervals(value: number) { this.sums.modelIntervals = value; }
  /** Highest drift statistic of the window's column records; undefined until one arrives. */
  get driftStatMax(): number | undefined { return this.model?.driftStatMax; }
  set driftStatMax(value: number | undefined) { this.sums.driftStatMax = value; }
  /** Highest PSI statistic; undefined until one arrives. */
  get psiMax(): number | undefined { return this.model?.psiMax; }
  set psiMax(value: number | undefined) { this.sums.psiMax = value; }

  /** Per drifting column of a model window: whether any record said it drifted. */
  get driftFeatures(): Map<string, boolean> {
    return (this.sums.drifts ??= new Map());
  }

  /** Number of columns with a drift record in the window (without creating the map). */
  get driftFeatureCount(): number {
    return this.model?.drifts?.size ?? 0;
  }

  /** Set on a pod window that received Falco alerts. */
  get falco(): FalcoTally | undefined { return this.rare?.falco; }
  set falco(value: FalcoTally | undefined) { this.rareParts.falco = value; }

  /** Reservoir sampling keeps the latency sample uniform over the whole window. */
  addDuration(ms: number, random: () => number): void {
    const filled = Math.min(this.seenDurations, MAX_DURATIONS);
    this.seenDurations++;
    if (filled < MAX_DURATIONS) {
      let durations = this.durations;
      if (durations === undefined) {
        durations = this.durations = [ms, 0];
        return;
      }
      if (filled === durations.length) {
        const grown: number[] = new Array<number>(Math.min(filled * 2, MAX_DURATIONS)).fill(0);
        for (let i = 0; i < filled; i++) grown[i] = durations[i] ?? 0;
        durations = this.durations = grown;
      }
      durations[filled] = ms;
      return;
    }
    const slot = Math.floor(random() * this.seenDurations);
    if (slot < MAX_DURATIONS && this.durations !== undefined) this.durations[slot] = ms;
  }

  addPeer(peer: string): void {
    const sent = this.sent;
    if (sent.peers !== undefined) {
      if (sent.peers.size < MAX_DISTINCT) sent.peers.add(peer);
    } else if (sent.firstPeer === undefined) {
      sent.firstPeer = peer;
    } else if (peer !== sent.firstPeer) {
      sent.peers = new Set([sent.firstPeer, peer]);
    }
  }

  addPath(path: string): void {
    if (this.paths !== undefined) {
      if (this.paths.size < MAX_DISTINCT) this.paths.add(path);
    } else if (this.firstPath === undefined) {
      this.firstPath = path;
    } else if (path !== this.firstPath) {
      this.paths = new Set([this.firstPath, path]);
    }
  }

  /** Distinct paths (or peers) seen: the Set's size, or 1 for the one kept in a field. */
  private static distinct(first: string | undefined, set: Set<string> | undefined): number {
    return set?.size ?? (first === undefined ? 0 : 1);
  }

  addNewEdge(edge: string): void {
    this.newEdges ??= [];
    if (this.newEdges.length < MAX_DISTINCT) this.newEdges.push(edge);
  }

  /**
   * Counts a new edge made by a pod of a revision rolled out within the change window: a change,
   * scored apart from `new_edges`; `rollout` names it (`rollout: <workload> <old> -> <new>`).
   */
  addRolloutEdge(edge: string, rollout: string): void {
    const sent = this.sent;
    sent.rolloutEdges ??= [];
    sent.rollouts ??= [];
    if (sent.rolloutEdges.length < MAX_DISTINCT) sent.rolloutEdges.push(edge);
    if (sent.rollouts.length < MAX_DISTINCT && !sent.rollouts.includes(rollout)) sent.rollouts.push(rollout);
  }

  /** Keeps a client's claim about its own address (bounded by the caller) as evidence only. */
  addClaimedForwardedFor(claim: string): void {
    const rare = this.rareParts;
    rare.claims ??= new Set();
    if (rare.claims.size < MAX_CLAIMS) rare.claims.add(claim);
  }

  /**
   * Counts one request the target `targetKey` served to `source` (a principal's key) at `at` for
   * the cross-principal features; `history` tells whether the target never served the source before.
   */
  addSource(source: string, refused: boolean, history: ServedHistory, targetKey: string, at: number): void {
    const rare = this.rareParts;
    rare.sources ??= new SourceTally();
    rare.sources.add(source, refused, history, targetKey, at);
  }

  /** The feature values this window supports; a feature with no underlying data is left out. */
  features(windowMs: number): { features: Record<string, number>; details: Record<string, string[]> } {
    const f: Record<string, number> = {};
    const details: Record<string, string[]> = {};
    if (this.requests > 0) {
      f.requests = this.requests;
      f.request_rate = this.requests / (windowMs / 1000);
      f.ratio_flagged = this.flagged / this.requests;
      f.flagged = this.flagged;
      f.bytes_in = this.bytesIn;
      f.bytes_out = this.bytesOut;
      if (this.http > 0) {
        f.ratio_4xx = this.c4xx / this.http;
        f.ratio_5xx = this.c5xx / this.http;
        f.ratio_401_403 = this.c401403 / this.http;
        f.auth_failures = this.c401403;
      }
      if (this.rare?.sources) {
        const sources = this.rare.sources.features();
        f.distinct_failing_sources = sources.distinctFailingSources;
        f.refused_sources = sources.refusedSources;
        f.new_sources = sources.newSources;
        f.new_failing_sources = sources.newFailingSources;
      }
      const sampled = Math.min(this.seenDurations, MAX_DURATIONS);
      if (this.durations !== undefined && sampled > 0) {
        sortInto(this.durations, sampled, sortedDurations);
        f.latency_p50 = quantileOf(sortedDurations, sampled, 0.5);
        f.latency_p95 = quantileOf(sortedDurations, sampled, 0.95);
        f.latency_p99 = quantileOf(sortedDurations, sampled, 0.99);
      }
      if (this.firstPath !== undefined) f.distinct_paths = WindowAccumulator.distinct(this.firstPath, this.paths);
      if (this.rare?.claims) details[CLIENT_CLAIMED_FORWARDED_FOR] = [...this.rare.claims];
    }
    const sent = this.egress;
    if (sent !== undefined && sent.outbound > 0) {
      f.egress_bytes = sent.egressBytes;
      f.distinct_peers = WindowAccumulator.distinct(sent.firstPeer, sent.peers);
      f.new_edges = sent.newEdges?.length ?? 0;
      if (sent.newEdges) details.new_edges = sent.newEdges;
      f.rollout_edges = sent.rolloutEdges?.length ?? 0;
      if (sent.rolloutEdges) details.rollout_edges = [...sent.rolloutEdges, ...(sent.rollouts ?? [])];
    }
    // Most windows are not a model's: one read tells, instead of a getter per sum.
    const model = this.rare?.model;
    if (model !== undefined) modelFeatures(model, f, details);
    return { features: f, details };
  }
}

/** The features of a model window's telemetry and drift sums, added to `f` and `details`. */
function modelFeatures(model: ModelSums, f: Record<string, number>, details: Record<string, string[]>): void {
  if (model.confidenceCount > 0) f.confidence_mean = model.confidenceSum / model.confidenceCount;
  if (model.modelIntervals > 0) {
    f.model_requests = model.modelRequests;
    if (model.modelRequests > 0) f.model_failure_ratio = model.modelFailures / model.modelRequests;
    if (model.modelLatencyP95 !== undefined && !Number.isNaN(model.modelLatencyP95)) f.model_latency_p95 = model.modelLatencyP95;
  }
  const drifts = model.drifts;
  if (drifts === undefined || drifts.size === 0) return;
  f.drift_stat_max = model.driftStatMax ?? Number.NaN;
  if (model.psiMax !== undefined && !Number.isNaN(model.psiMax)) f.drift_psi_max = model.psiMax;
  let drifted = 0;
  const names: string[] = [];
  for (const [feature, detected] of drifts) {
    if (detected) {
      drifted++;
      names.push(feature);
    }
  }
  f.drift_share = drifted / drifts.size;
  if (names.length > 0) details.drift_share = names;
}

/**
 * Scratch space the latency sample is sorted in when a window closes (closing is synchronous: one
 * window uses it at a time), so a window costs no allocation to close however many it samples.
 */
const sortedDurations = new Float64Array(MAX_DURATIONS);

/** Below this many values an insertion sort beats the built-in sort (and a view to call it on). */
const INSERTION_SORT_MAX = 32;

/**
 * Copies the first `n` values into `out`, ascending. The sample holds no NaN (durations are
 * non-negative integers); a -0 (a JSON line may say so) may land on either side of a 0, which no
 * quantile can tell: it is a + t(b - a) with a <= b, +0 whenever it is zero.
 */
function sortInto(values: readonly number[], n: number, out: Float64Array): void {
  if (n > INSERTION_SORT_MAX) {
    for (let i = 0; i < n; i++) out[i] = values[i] ?? 0;
    out.subarray(0, n).sort();
    return;
  }
  for (let i = 0; i < n; i++) {
    const value = values[i] ?? 0;
    let j = i;
    for (; j > 0; j--) {
      const before = out[j - 1] ?? 0;
      if (!(before > value)) break;
      out[j] = before;
    }
    out[j] = value;
  }
}

/** Linear interpolation between closest ranks (the R-7 / numpy default). */
export function quantileSorted(sorted: Float64Array, p: number): number {
  return quantileOf(sorted, sorted.length, p);
}

/** {@link quantileSorted} over the first `n` values of `sorted`. */
function quantileOf(sorted: Float64Array, n: number, p: number): number {
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? 0;
  const b = sorted[Math.min(lo + 1, n - 1)] ?? a;
  return a + (h - lo) * (b - a);
}

/** The parts few windows have (see `WindowAccumulator.rare`). */
class RareParts {
  claims: Set<string> | undefined;
  /** Set on a target (workload) window only: what its sources did, across principals. */
  sources: SourceTally | undefined;
  model: ModelSums | undefined;
  falco: FalcoTally | undefined;
}

/** The outbound part of a window (see `WindowAccumulator.egress`). */
class EgressSums {
  outbound = 0;
  egressBytes = 0;
  // The first peer is kept in a field; a Set is made for the second distinct one.
  firstPeer: string | undefined;
  peers: Set<string> | undefined;
  newEdges: string[] | undefined;
  /** New edges a rollout's pods made in its change window, and the rollouts named once each. */
  rolloutEdges: string[] | undefined;
  rollouts: string[] | undefined;
}

/** The model telemetry and drift part of a window (see `WindowAccumulator.model`). */
class ModelSums {
  confidenceSum = 0;
  confidenceCount = 0;
  modelLatencyP95: number | undefined;
  modelRequests = 0;
  modelFailures = 0;
  modelIntervals = 0;
  driftStatMax: number | undefined;
  psiMax: number | undefined;
  drifts: Map<string, boolean> | undefined;
}
