import { z } from 'zod';

/** How a raw feature value is reshaped before centring: counts, bytes and rates are heavy-tailed. */
export type FeatureTransform = 'log1p' | 'identity';

/** The learned scaling of one feature: `(transform(x) - center) / scale`. */
export const featureScalingSchema = z
  .object({
    name: z.string().min(1),
    transform: z.enum(['log1p', 'identity']),
    center: z.number(),
    scale: z.number().positive(),
  })
  .strict();

/** The learned scaling of one feature. */
export type FeatureScaling = z.infer<typeof featureScalingSchema>;

/**
 * Bounded features (shares, ratios, confidences) keep their scale; everything else (counts, bytes,
 * rates, latencies, PSI) spans orders of magnitude across entities and is compressed with log1p.
 */
export function defaultTransform(feature: string): FeatureTransform {
  if (feature.startsWith('ratio_') || feature === 'confidence_mean' || feature === 'drift_share') return 'identity';
  return 'log1p';
}

/**
 * Smallest scale per transform. A feature that never moved in the baseline (a 401 ratio of exactly
 * 0) has an IQR of 0; without a floor any change at all would be infinitely surprising. One
 * percentage point for shares, about 5% relative change for log-scaled values.
 */
const MIN_SCALE: Record<FeatureTransform, number> = { identity: 0.01, log1p: 0.05 };

/** IQR of a normal distribution in standard deviations: makes the scale read like a sigma. */
const IQR_TO_SIGMA = 1.349;

/**
 * Type-7 (linear interpolation) quantile of an ascending array; NaN for an empty one.
 */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * Math.min(Math.max(q, 0), 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const a = sorted[lower] ?? Number.NaN;
  const b = sorted[upper] ?? Number.NaN;
  return a + (position - lower) * (b - a);
}

function forward(transform: FeatureTransform, value: number): number {
  // Features are non-negative by construction; a negative value from a broken producer must not
  // turn into NaN (log1p of < -1) and poison the whole vector.
  return transform === 'log1p' ? Math.log1p(Math.max(value, 0)) : value;
}

function inverse(transform: FeatureTransform, value: number): number {
  return transform === 'log1p' ? Math.max(Math.expm1(value), 0) : value;
}

/**
 * Robust per-feature scaling learned on the baseline: log1p for heavy-tailed features, then the
 * median and the IQR (as a sigma), so a few extreme baseline windows do not set the scale.
 * Missing values (undefined or non-finite) stay missing; the caller decides how to feed them.
 */
export class FeatureScaler {
  private constructor(readonly scalings: readonly FeatureScaling[]) {}

  /** Learns the scaling of each feature from raw baseline vectors (in `names` order). */
  static fit(names: readonly string[], vectors: readonly (readonly (number | undefined)[])[]): FeatureScaler {
    const scalings = names.map((name, i): FeatureScaling => {
      const transform = defaultTransform(name);
      const values: number[] = [];
      for (const vector of vectors) {
        const raw = vector[i];
        if (raw !== undefined && Number.isFinite(raw)) values.push(forward(transform, raw));
      }
      values.sort((a, b) => a - b);
      // A feature never observed in the baseline is centred on 0 with the floor scale: any value
      // it later takes is judged as new, which it is.
      const center = values.length > 0 ? sortedQuantile(values, 0.5) : 0;
      const iqr = values.length > 0 ? sortedQuantile(values, 0.75) - sortedQuantile(values, 0.25) : 0;
      return { name, transform, center, scale: Math.max(iqr / IQR_TO_SIGMA, MIN_SCALE[transform]) };
    });
    return new FeatureScaler(scalings);
  }

  /** Restores a scaler saved in a manifest. */
  static fromScalings(scalings: readonly FeatureScaling[]): FeatureScaler {
    return new FeatureScaler(scalings.map((s) => ({ ...s })));
  }

  get names(): string[] {
    return this.scalings.map((s) => s.name);
  }

  /** Scales a raw vector; missing entries come back as NaN. */
  scale(vector: readonly (number | undefined)[]): Float64Array {
    const out = new Float64Array(this.scalings.length);
    this.scalings.forEach((s, i) => {
      const raw = vector[i];
      out[i] = raw !== undefined && Number.isFinite(raw) ? (forward(s.transform, raw) - s.center) / s.scale : Number.NaN;
    });
    return out;
  }

  /** Maps a scaled value of feature `i` back to raw units. */
  unscale(i: number, scaled: number): number {
    const s = this.scalings[i];
    if (s === undefined) return Number.NaN;
    return inverse(s.transform, s.center + scaled * s.scale);
  }

  /**
   * The raw-unit width of one scaled unit around `scaled` (half the distance between the values
   * one unit below and above): the spread evidence reports next to the expected value.
   */
  spread(i: number, scaled: number): number {
    return (this.unscale(i, scaled + 1) - this.unscale(i, scaled - 1)) / 2;
  }
}
