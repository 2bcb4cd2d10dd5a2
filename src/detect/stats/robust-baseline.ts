import { z } from 'zod';

/**
 * Tuning shared by every scorer built on a {@link RobustBaseline}.
 */
export interface RobustBaselineOptions {
  /** Samples after which an old observation weighs half as much as a new one. */
  readonly halfLife: number;
  /** Residuals beyond `clip` spreads are clipped before they move the baseline (Huber). */
  readonly clip: number;
  /** Absolute floor of the spread, in the unit of the series. */
  readonly minSpread: number;
  /** Floor of the spread as a fraction of the baseline's magnitude. */
  readonly minRelativeSpread: number;
}

/** Serialisable state of a {@link RobustBaseline}. */
export const robustBaselineStateSchema = z
  .object({
    count: z.number().int().min(0),
    location: z.number(),
    deviation: z.number().min(0),
  })
  .strict();

/** Serialisable state of a {@link RobustBaseline}. */
export type RobustBaselineState = z.infer<typeof robustBaselineStateSchema>;

// Mean absolute deviation of a normal distribution is sigma * sqrt(2 / pi); multiplying by the
// inverse turns it into a standard-deviation equivalent so z-scores read in familiar units.
const ABS_DEV_TO_SIGMA = Math.sqrt(Math.PI / 2);

/**
 * A streaming robust location/scale estimate in O(1) time and memory per sample.
 *
 * Location is an exponentially weighted Huber M-estimate: each residual is clipped to
 * `clip` spreads before it moves the location, so a single spike barely moves the baseline while
 * a sustained shift still pulls it along. Scale is the exponentially weighted mean absolute
 * deviation of the (clipped) residuals, converted to a standard-deviation equivalent. Under a
 * sustained shift, the clipped residuals keep pushing the scale up geometrically, which widens the
 * clip and lets the location catch up within a few half-lives instead of crawling.
 *
 * The weight of the newest sample is `max(alpha, 1 / count)`, so the first samples give the exact
 * running mean and the baseline is sensible long before the half-life is reached.
 */
export class RobustBaseline {
  private readonly alpha: number;
  private count: number;
  private location: number;
  private deviation: number;

  constructor(
    private readonly options: RobustBaselineOptions,
    state?: RobustBaselineState,
  ) {
    this.alpha = halfLifeToAlpha(options.halfLife);
    this.count = state?.count ?? 0;
    this.location = state?.location ?? 0;
    this.deviation = state?.deviation ?? 0;
  }

  /** Number of samples absorbed so far. */
  get samples(): number {
    return this.count;
  }

  /** Current location estimate (0 before the first sample). */
  get expected(): number {
    return this.location;
  }

  /** Current spread (standard-deviation equivalent), never below the configured floors. */
  get spread(): number {
    const floor = Math.max(
      this.options.minSpread,
      this.options.minRelativeSpread * Math.abs(this.location),
    );
    return Math.max(this.deviation * ABS_DEV_TO_SIGMA, floor);
  }

  /** Signed deviation of `value` from the baseline, in spreads. */
  zScore(value: number): number {
    return (value - this.location) / this.spread;
  }

  /** Absorbs one observation (one whose update would overflow the state is not learnt). */
  absorb(value: number): void {
    if (this.count === 0) {
      this.count = 1;
      this.location = value + 0;
      this.deviation = 0;
      return;
    }
    const weight = Math.max(this.alpha, 1 / (this.count + 1));
    const residual = value - this.location;
    const limit = this.options.clip * this.spread;
    const clipped = Math.max(-limit, Math.min(limit, residual));
    // The scale moves first, from the residual against the old location, so it measures how far
    // observations land from what was expected rather than from a location already pulled
    // towards them.
    const deviation = this.deviation + weight * (Math.abs(clipped) - this.deviation);
    const location = this.location + weight * clipped;
    if (!Number.isFinite(deviation) || !Number.isFinite(location)) return;
    this.count += 1;
    this.deviation = deviation;
    this.location = location;
  }

  /** Moves the location to `value` without touching the scale (used after a detected change). */
  reanchor(value: number): void {
    this.location = value + 0;
  }

  /** Serialisable state. */
  state(): RobustBaselineState {
    return { count: this.count, location: this.location, deviation: this.deviation };
  }
}

/** Converts a half-life in samples to the weight of the newest sample in an EWMA. */
export function halfLifeToAlpha(halfLife: number): number {
  return 1 - Math.pow(2, -1 / halfLife);
}
