import { SourceTally } from './source-tally.js';

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
  egressBytes = 0;
  outbound = 0;
  private durations: number[] = [];
  private seenDurations = 0;
  private peers: Set<string> | undefined;
  private paths: Set<string> | undefined;
  newEdges: string[] | undefined;
  private claims: Set<string> | undefined;
  /** Set on a target (workload) window only: what its sources did, across principals. */
  private sources: SourceTally | undefined;

  confidenceSum = 0;
  confidenceCount = 0;
  modelLatencyP95 = Number.NaN;
  modelRequests = 0;
  modelFailures = 0;
  modelIntervals = 0;

  driftStatMax = Number.NaN;
  psiMax = Number.NaN;
  driftFeatures = new Map<string, boolean>();

  /** Reservoir sampling keeps the latency sample uniform over the whole window. */
  addDuration(ms: number, random: () => number): void {
    this.seenDurations++;
    if (this.durations.length < MAX_DURATIONS) {
      this.durations.push(ms);
      return;
    }
    const slot = Math.floor(random() * this.seenDurations);
    if (slot < MAX_DURATIONS) this.durations[slot] = ms;
  }

  addPeer(peer: string): void {
    this.peers ??= new Set();
    if (this.peers.size < MAX_DISTINCT) this.peers.add(peer);
  }

  addPath(path: string): void {
    this.paths ??= new Set();
    if (this.paths.size < MAX_DISTINCT) this.paths.add(path);
  }

  addNewEdge(edge: string): void {
    this.newEdges ??= [];
    if (this.newEdges.length < MAX_DISTINCT) this.newEdges.push(edge);
  }

  /** Keeps a client's claim about its own address (bounded by the caller) as evidence only. */
  addClaimedForwardedFor(claim: string): void {
    this.claims ??= new Set();
    if (this.claims.size < MAX_CLAIMS) this.claims.add(claim);
  }

  /**
   * Counts one request a target served to `source` (a principal's key) for the cross-principal
   * features; `isNew` tells whether the target never served the source before.
   */
  addSource(source: string, refused: boolean, isNew: () => boolean): void {
    this.sources ??= new SourceTally();
    this.sources.add(source, refused, isNew);
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
      if (this.sources) {
        const sources = this.sources.features();
        f.distinct_failing_sources = sources.distinctFailingSources;
        f.refused_sources = sources.refusedSources;
        f.new_sources = sources.newSources;
        f.new_failing_sources = sources.newFailingSources;
      }
      if (this.durations.length > 0) {
        const sorted = Float64Array.from(this.durations).sort();
        f.latency_p50 = quantileSorted(sorted, 0.5);
        f.latency_p95 = quantileSorted(sorted, 0.95);
        f.latency_p99 = quantileSorted(sorted, 0.99);
      }
      if (this.paths) f.distinct_paths = this.paths.size;
      if (this.claims) details[CLIENT_CLAIMED_FORWARDED_FOR] = [...this.claims];
    }
    if (this.outbound > 0) {
      f.egress_bytes = this.egressBytes;
      f.distinct_peers = this.peers?.size ?? 0;
      f.new_edges = this.newEdges?.length ?? 0;
      if (this.newEdges) details.new_edges = this.newEdges;
    }
    if (this.confidenceCount > 0) f.confidence_mean = this.confidenceSum / this.confidenceCount;
    if (this.modelIntervals > 0) {
      f.model_requests = this.modelRequests;
      if (this.modelRequests > 0) f.model_failure_ratio = this.modelFailures / this.modelRequests;
      if (!Number.isNaN(this.modelLatencyP95)) f.model_latency_p95 = this.modelLatencyP95;
    }
    if (this.driftFeatures.size > 0) {
      f.drift_stat_max = this.driftStatMax;
      if (!Number.isNaN(this.psiMax)) f.drift_psi_max = this.psiMax;
      let drifted = 0;
      const names: string[] = [];
      for (const [feature, detected] of this.driftFeatures) {
        if (detected) {
          drifted++;
          names.push(feature);
        }
      }
      f.drift_share = drifted / this.driftFeatures.size;
      if (names.length > 0) details.drift_share = names;
    }
    return { features: f, details };
  }
}

/** Linear interpolation between closest ranks (the R-7 / numpy default). */
export function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? 0;
  const b = sorted[Math.min(lo + 1, n - 1)] ?? a;
  return a + (h - lo) * (b - a);
}
