import { z } from 'zod';
import type { FeatureName, FeatureWindow } from '../features/feature-window.js';
import { evidenceCount } from './feature-evidence.js';

/**
 * How a feature over several windows is formed from its per-window values.
 * - `sum`: counts and bytes add up (a slow exfiltration is the bytes of the whole hour).
 * - `mean`: ratios and means, weighted by the observations behind each window, which is exactly the
 *   ratio over all of the horizon's requests.
 * - `median`: quantiles, as the request-weighted median of the per-window values. Per-window
 *   samples are not kept, so a true merged quantile is out of reach; a request-weighted mean of
 *   per-window p95 would let one slow request (which *is* the p95 of a ten-request minute) lift a
 *   5-minute horizon several-fold. The weighted median moves only once more than half of the
 *   horizon's traffic sits in slow windows: a regression that lasts, not a straggler.
 */
export type HorizonAggregate = 'sum' | 'mean' | 'median';

/** Features that can be scored over a horizon, and how. Others (distinct counts, drift) cannot. */
export const HORIZON_AGGREGATES: Partial<Record<FeatureName, HorizonAggregate>> = {
  requests: 'sum',
  flagged: 'sum',
  bytes_in: 'sum',
  bytes_out: 'sum',
  egress_bytes: 'sum',
  new_edges: 'sum',
  rollout_edges: 'sum',
  auth_failures: 'sum',
  new_sources: 'sum',
  new_failing_sources: 'sum',
  model_requests: 'sum',
  model_predictions: 'sum',
  ratio_4xx: 'mean',
  ratio_5xx: 'mean',
  ratio_401_403: 'mean',
  ratio_flagged: 'mean',
  confidence_mean: 'mean',
  model_failure_ratio: 'mean',
  latency_p50: 'median',
  latency_p95: 'median',
  latency_p99: 'median',
  model_latency_p95: 'median',
};

/** A ring never holds more windows than this: state per (detector, entity, feature) stays bounded. */
export const MAX_HORIZON_WINDOWS = 60;

/** The weight of a window's value: the observations it stands on (requests, or the model's own count). */
export function windowWeight(window: FeatureWindow, feature: string): number {
  const weight = evidenceCount(window, feature) ?? window.features.requests ?? 0;
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}

/** Scratch space of the weighted median (scoring is synchronous: one ring uses it at a time). */
const medianValues = new Float64Array(MAX_HORIZON_WINDOWS);
const medianWeights = new Float64Array(MAX_HORIZON_WINDOWS);

/** Saved state of a {@link HorizonRing}, oldest entry first. */
export const horizonRingStateSchema = z
  .object({
    since: z.number(),
    ends: z.array(z.number()).max(MAX_HORIZON_WINDOWS),
    values: z.array(z.number()).max(MAX_HORIZON_WINDOWS),
    weights: z.array(z.number().min(0)).max(MAX_HORIZON_WINDOWS),
  })
  .strict()
  .refine((s) => s.ends.length === s.values.length && s.values.length === s.weights.length, 'ring arrays differ in length');

/** Saved state of a {@link HorizonRing}. */
export type HorizonRingState = z.infer<typeof horizonRingStateSchema>;

/** One horizon's aggregate: the value, the observations behind it and the windows it spans. */
export interface HorizonValue {
  readonly value: number;
  readonly weight: number;
  readonly windows: number;
}

/**
 * The last few per-window values of one entity's feature (three Float64Arrays of at most
 * {@link MAX_HORIZON_WINDOWS} slots: under 1.5 kB), from which every horizon's aggregate is read.
 */
export class HorizonRing {
  private readonly ends: Float64Array;
  private readonly values: Float64Array;
  private readonly weights: Float64Array;
  /** Index of the oldest entry. */
  private head = 0;
  private size = 0;
  /** Start of the first window ever pushed: a horizon is scored only once history covers it. */
  private since: number;

  /** @param saved state from {@link state}; entries beyond `capacity` are dropped, oldest first. */
  constructor(capacity: number, since: number, saved?: HorizonRingState) {
    const slots = Math.max(1, Math.min(MAX_HORIZON_WINDOWS, Math.ceil(capacity)));
    this.ends = new Float64Array(slots);
    this.values = new Float64Array(slots);
    this.weights = new Float64Array(slots);
    this.since = saved?.since ?? since;
    if (saved) for (let i = 0; i < saved.ends.length; i++) this.push(saved.ends[i] ?? 0, saved.values[i] ?? 0, saved.weights[i] ?? 0);
  }

  /** Appends one window's value, overwriting the oldest when full. */
  push(end: number, value: number, weight: number): void {
    const slots = this.ends.length;
    const at = (this.head + this.size) % slots;
    this.ends[at] = end;
    this.values[at] = value;
    this.weights[at] = weight;
    if (this.size < slots) this.size++;
    else this.head = (this.head + 1) % slots;
  }

  /**
   * The aggregate of the windows that ended within `horizonMs` of `now` (missing windows count as
   * nothing happened), or undefined while the entity's history is shorter than the horizon or the
   * windows in it stand on no observation.
   */
  aggregate(kind: HorizonAggregate, now: number, horizonMs: number): HorizonValue | undefined {
    const from = now - horizonMs;
    if (this.since > from) return undefined;
    // Runs for every (window, feature, horizon): sums are taken in place, oldest first (the order
    // of the additions fixes the floating-point result), and only the median copies anything.
    const slots = this.ends.length;
    let windows = 0;
    let weight = 0;
    let total = 0;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % slots;
      if ((this.ends[i] ?? 0) <= from) continue;
      windows++;
      const w = this.weights[i] ?? 0;
      weight += w;
      total += kind === 'mean' ? (this.values[i] ?? 0) * w : (this.values[i] ?? 0);
    }
    if (windows === 0) return undefined;
    if (kind === 'sum') return { value: total, weight, windows };
    if (weight <= 0) return undefined;
    if (kind === 'mean') return { value: total / weight, weight, windows };
    return this.weightedMedian(from, weight, windows);
  }

  /** The value at which the cumulative weight, by ascending value, reaches half of `weight`. */
  private weightedMedian(from: number, weight: number, windows: number): HorizonValue | undefined {
    const slots = this.ends.length;
    const values = medianValues;
    const weights = medianWeights;
    let n = 0;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % slots;
      if ((this.ends[i] ?? 0) <= from) continue;
      // Insertion sort by value, stable (an equal value goes after those already in): the order
      // a stable sort of the picked entries gives.
      const value = this.values[i] ?? 0;
      let j = n;
      while (j > 0 && (values[j - 1] ?? 0) > value) {
        values[j] = values[j - 1] ?? 0;
        weights[j] = weights[j - 1] ?? 0;
        j--;
      }
      values[j] = value;
      weights[j] = this.weights[i] ?? 0;
      n++;
    }
    let cumulative = 0;
    for (let j = 0; j < n; j++) {
      cumulative += weights[j] ?? 0;
      if (cumulative >= weight / 2) return { value: values[j] ?? 0, weight, windows };
    }
    return undefined;
  }

  state(): HorizonRingState {
    const ends: number[] = [];
    const values: number[] = [];
    const weights: number[] = [];
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % this.ends.length;
      ends.push(this.ends[i] ?? 0);
      values.push(this.values[i] ?? 0);
      weights.push(this.weights[i] ?? 0);
    }
    return { since: this.since, ends, values, weights };
  }
}
