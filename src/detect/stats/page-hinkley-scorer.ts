import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { RobustBaseline, robustBaselineStateSchema } from './robust-baseline.js';
import { directionSchema } from './robust-zscore-scorer.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `page-hinkley` algorithm. */
export const pageHinkleySchema = z
  .object({
    type: z.literal('page-hinkley'),
    /** Observations absorbed before scoring starts, and again after each detected change. */
    warmup: z.number().int().min(1).default(30),
    /** Tolerated magnitude of change `delta`, in spreads. */
    delta: z.number().min(0).default(0.5),
    /** Detection threshold `lambda`, in spreads (score 0.5). */
    lambda: z.number().positive().default(8),
    /** Forgetting factor of the cumulative sums (1 = the textbook test, no forgetting). */
    forgetting: z.number().gt(0).max(1).default(0.999),
    /** Half-life of the spread estimate used to standardise deviations, in observations. */
    halfLife: z.number().positive().default(500),
    direction: directionSchema.default('both'),
    /** Absolute floor of the spread, in the unit of the series. */
    minSpread: z.number().positive().default(1e-3),
    /** Floor of the spread as a fraction of the mean's magnitude. */
    minRelativeSpread: z.number().min(0).default(0.01),
  })
  .strict();

/** Parameters of the `page-hinkley` algorithm, defaults applied. */
export type PageHinkleyConfig = z.infer<typeof pageHinkleySchema>;

const ALGORITHM = 'page-hinkley';
const VERSION = 1;
const stateSchema = z
  .object({
    scale: robustBaselineStateSchema,
    count: z.number().int().min(0),
    mean: z.number(),
    up: z.number(),
    upMin: z.number(),
    down: z.number(),
    downMax: z.number(),
  })
  .strict();

/**
 * Page-Hinkley test (Page 1954, Hinkley 1971) for a change in mean: the cumulative deviation from
 * the running mean since the last change, minus a tolerance `delta`, is compared with its running
 * extreme; when the gap exceeds `lambda` spreads a change is declared, the test restarts and the
 * mean is re-learnt from the new regime. Deviations are standardised by a robust spread so `delta`
 * and `lambda` are unit-free.
 */
export class PageHinkleyScorer implements StreamScorer {
  private readonly scale: RobustBaseline;
  private count: number;
  private mean: number;
  private up: number;
  private upMin: number;
  private down: number;
  private downMax: number;

  constructor(
    private readonly config: PageHinkleyConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    this.scale = new RobustBaseline({ ...config, clip: 3 }, state?.scale);
    this.count = state?.count ?? 0;
    this.mean = state?.mean ?? 0;
    this.up = state?.up ?? 0;
    this.upMin = state?.upMin ?? 0;
    this.down = state?.down ?? 0;
    this.downMax = state?.downMax ?? 0;
  }

  update(value: number): ScoreResult {
    const ready = this.count >= this.config.warmup;
    const expected = this.count > 0 ? this.mean : this.scale.expected;
    const spread = this.scale.spread;
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    this.scale.absorb(value);

    const mean = this.mean + (value - this.mean) / (this.count + 1);
    // A value so far out that the running mean overflows is as surprising as anything can be, and
    // is not learnt, so the state stays finite and serialisable.
    if (!Number.isFinite(mean)) {
      return { score: ready ? surpriseToScore(Number.POSITIVE_INFINITY, this.config.lambda) : 0, expected, spread, ready };
    }
    this.count += 1;
    this.mean = mean;
    if (this.count <= this.config.warmup) return { score: 0, expected, spread, ready };

    const { delta, forgetting, direction, lambda } = this.config;
    const deviation = (value - this.mean) / spread;
    this.up = forgetting * this.up + deviation - delta;
    this.upMin = Math.min(this.upMin, this.up);
    this.down = forgetting * this.down + deviation + delta;
    this.downMax = Math.max(this.downMax, this.down);
    const rise = direction === 'down' ? 0 : this.up - this.upMin;
    const fall = direction === 'up' ? 0 : this.downMax - this.down;
    const statistic = Math.max(rise, fall);
    // Sums pushed past double precision by absurd values say "changed" as clearly as any alarm.
    const overflowed = Number.isNaN(statistic);
    if (statistic >= lambda || overflowed) this.restart(value);
    if (overflowed) return { score: ready ? surpriseToScore(Number.POSITIVE_INFINITY, lambda) : 0, expected, spread, ready };
    return { score: ready ? surpriseToScore(statistic, lambda) : 0, expected, spread, ready };
  }

  private restart(value: number): void {
    // The new regime starts at the observation that revealed it; the warm-up then lets the mean
    // settle before the test runs again.
    this.count = 1;
    this.mean = value + 0;
    this.up = 0;
    this.upMin = 0;
    this.down = 0;
    this.downMax = 0;
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: {
        scale: this.scale.state(),
        count: this.count,
        mean: this.mean,
        up: this.up,
        upMin: this.upMin,
        down: this.down,
        downMax: this.downMax,
      },
    };
  }
}
