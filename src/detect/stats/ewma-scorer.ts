import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { halfLifeToAlpha } from './robust-baseline.js';
import { directedSurprise, directionSchema } from './robust-zscore-scorer.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `ewma` algorithm. */
export const ewmaSchema = z
  .object({
    type: z.literal('ewma'),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(30),
    /** Half-life of the mean and variance, in observations. */
    halfLife: z.number().positive().default(200),
    /** |z| at which the score reaches 0.5. */
    zAlarm: z.number().positive().default(4),
    direction: directionSchema.default('both'),
    /** Absolute floor of the standard deviation, in the unit of the series. */
    minSpread: z.number().positive().default(1e-3),
    /** Floor of the standard deviation as a fraction of the mean's magnitude. */
    minRelativeSpread: z.number().min(0).default(0.01),
  })
  .strict();

/** Parameters of the `ewma` algorithm, defaults applied. */
export type EwmaConfig = z.infer<typeof ewmaSchema>;

const ALGORITHM = 'ewma';
const VERSION = 1;
const stateSchema = z
  .object({ count: z.number().int().min(0), mean: z.number(), variance: z.number().min(0) })
  .strict();

/**
 * Classic exponentially weighted mean and variance (West 1979 incremental form): z is the
 * deviation from the weighted mean in weighted standard deviations. Cheaper and faster to adapt
 * than the robust z-score, but a spike inflates its variance for a while afterwards.
 */
export class EwmaScorer implements StreamScorer {
  private readonly alpha: number;
  private count: number;
  private mean: number;
  private variance: number;

  constructor(
    private readonly config: EwmaConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    this.alpha = halfLifeToAlpha(config.halfLife);
    this.count = state?.count ?? 0;
    this.mean = state?.mean ?? 0;
    this.variance = state?.variance ?? 0;
  }

  update(value: number): ScoreResult {
    const ready = this.count >= this.config.warmup;
    const expected = this.mean;
    const floor = Math.max(this.config.minSpread, this.config.minRelativeSpread * Math.abs(this.mean));
    const spread = Math.max(Math.sqrt(this.variance), floor);
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    const z = (value - this.mean) / spread;
    this.absorb(value);
    const score = ready ? surpriseToScore(directedSurprise(z, this.config.direction), this.config.zAlarm) : 0;
    return { score, expected, spread, ready };
  }

  private absorb(value: number): void {
    if (this.count === 0) {
      this.count = 1;
      // + 0 turns -0 into 0: a snapshot's JSON cannot tell them apart, and a restored scorer must
      // report exactly what the original would.
      this.mean = value + 0;
      return;
    }
    // 1 / count for the first samples gives the exact running mean and (population) variance,
    // so the scorer is usable before the half-life has elapsed.
    const weight = Math.max(this.alpha, 1 / (this.count + 1));
    const diff = value - this.mean;
    const increment = weight * diff;
    const mean = this.mean + increment;
    const variance = (1 - weight) * (this.variance + diff * increment);
    // A value so extreme that its square overflows would leave an infinite variance behind (and a
    // snapshot JSON cannot carry): it is scored, but not learnt.
    if (!Number.isFinite(mean) || !Number.isFinite(variance)) return;
    this.count += 1;
    this.mean = mean;
    this.variance = variance;
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: { count: this.count, mean: this.mean, variance: this.variance },
    };
  }
}
