import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { RobustBaseline, robustBaselineStateSchema } from './robust-baseline.js';
import { directionSchema } from './robust-zscore-scorer.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `cusum` algorithm. */
export const cusumSchema = z
  .object({
    type: z.literal('cusum'),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(30),
    /** Half-life of the reference baseline, in observations. */
    halfLife: z.number().positive().default(500),
    /** Residuals beyond this many spreads are clipped before they update the baseline. */
    clip: z.number().positive().default(3),
    /** Drift allowance `k`, in spreads: shifts smaller than this do not accumulate. */
    k: z.number().min(0).default(0.5),
    /** Decision interval `h`, in spreads: the cumulative sum at which a change is declared (score 0.5). */
    h: z.number().positive().default(5),
    /** Which shifts to detect: upward, downward or both (two-sided). */
    direction: directionSchema.default('both'),
    /** Absolute floor of the spread, in the unit of the series. */
    minSpread: z.number().positive().default(1e-3),
    /** Floor of the spread as a fraction of the baseline's magnitude. */
    minRelativeSpread: z.number().min(0).default(0.01),
  })
  .strict();

/** Parameters of the `cusum` algorithm, defaults applied. */
export type CusumConfig = z.infer<typeof cusumSchema>;

const ALGORITHM = 'cusum';
const VERSION = 1;
const stateSchema = z
  .object({ baseline: robustBaselineStateSchema, upper: z.number().min(0), lower: z.number().min(0) })
  .strict();

/**
 * Two-sided tabular CUSUM (Page 1954) on residuals standardised by a robust streaming baseline:
 * `S+ = max(0, S+ + z - k)`, `S- = max(0, S- - z - k)`. A change is declared when a sum reaches `h`;
 * the sums then restart from zero so the next change is judged on its own evidence, and the score
 * reports the sum before the restart. Detects small persistent shifts that a per-point z-score
 * misses.
 */
export class CusumScorer implements StreamScorer {
  private readonly baseline: RobustBaseline;
  private upper: number;
  private lower: number;

  constructor(
    private readonly config: CusumConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    this.baseline = new RobustBaseline(config, state?.baseline);
    this.upper = state?.upper ?? 0;
    this.lower = state?.lower ?? 0;
  }

  update(value: number): ScoreResult {
    const ready = this.baseline.samples >= this.config.warmup;
    const expected = this.baseline.expected;
    const spread = this.baseline.spread;
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    const z = this.baseline.zScore(value);
    this.baseline.absorb(value);
    if (!ready) return { score: 0, expected, spread, ready };

    const { direction, k, h } = this.config;
    if (direction !== 'down') this.upper = Math.max(0, this.upper + z - k);
    if (direction !== 'up') this.lower = Math.max(0, this.lower - z - k);
    const statistic = Math.max(this.upper, this.lower);
    if (statistic >= h) {
      this.upper = 0;
      this.lower = 0;
    }
    return { score: surpriseToScore(statistic, h), expected, spread, ready };
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: { baseline: this.baseline.state(), upper: this.upper, lower: this.lower },
    };
  }
}
