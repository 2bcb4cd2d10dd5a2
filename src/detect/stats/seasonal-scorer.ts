import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { ScorerSnapshotError } from './scorer-snapshot-error.js';
import { RobustBaseline, robustBaselineStateSchema } from './robust-baseline.js';
import { directedSurprise, directionSchema } from './robust-zscore-scorer.js';
import { surpriseToScore } from './surprise-score.js';

const MINUTES_PER_PERIOD = { day: 24 * 60, week: 7 * 24 * 60 } as const;

/** Parameters of the `seasonal` algorithm. */
export const seasonalSchema = z
  .object({
    type: z.literal('seasonal'),
    /** The rhythm: one baseline per time-of-day bucket, or per time-of-week bucket. */
    period: z.enum(['day', 'week']).default('day'),
    /** Width of a bucket in minutes; must divide the period. */
    bucketMinutes: z.number().int().positive().default(60),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(30),
    /** Half-life of the global baseline, in observations. */
    halfLife: z.number().positive().default(500),
    /** Half-life of each bucket's baseline, in observations that fall into that bucket. */
    bucketHalfLife: z.number().positive().default(30),
    /**
     * How many observations a bucket needs before it weighs as much as the global baseline: the
     * bucket's weight is `n / (n + blend)`, so a young bucket leans on the global baseline.
     */
    blend: z.number().positive().default(10),
    /** Residuals beyond this many spreads are clipped before they update the baselines. */
    clip: z.number().positive().default(3),
    /** |z| at which the score reaches 0.5. */
    zAlarm: z.number().positive().default(4),
    direction: directionSchema.default('both'),
    /** Absolute floor of the spread, in the unit of the series. */
    minSpread: z.number().positive().default(1e-3),
    /** Floor of the spread as a fraction of the baseline's magnitude. */
    minRelativeSpread: z.number().min(0).default(0.01),
  })
  .strict()
  .refine((c) => MINUTES_PER_PERIOD[c.period] % c.bucketMinutes === 0, {
    message: 'bucketMinutes must divide the period (1440 minutes a day, 10080 a week)',
    path: ['bucketMinutes'],
  });

/** Parameters of the `seasonal` algorithm, defaults applied. */
export type SeasonalConfig = z.infer<typeof seasonalSchema>;

const ALGORITHM = 'seasonal';
const VERSION = 1;
const stateSchema = z
  .object({ global: robustBaselineStateSchema, buckets: z.array(robustBaselineStateSchema) })
  .strict();

/**
 * Seasonality-aware robust z-score: a robust baseline per time-of-day (or time-of-week) bucket,
 * shrunk towards a global baseline while the bucket is young. A surge at 3 a.m. stands out even
 * when the same rate is normal at noon, and the daily rhythm itself raises no alarm.
 */
export class SeasonalScorer implements StreamScorer {
  private readonly global: RobustBaseline;
  private readonly buckets: RobustBaseline[];
  private readonly bucketMs: number;
  private readonly bucketCount: number;

  constructor(
    private readonly config: SeasonalConfig,
    snapshot?: ScorerSnapshot,
  ) {
    this.bucketCount = MINUTES_PER_PERIOD[config.period] / config.bucketMinutes;
    this.bucketMs = config.bucketMinutes * 60_000;
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    if (state !== undefined && state.buckets.length !== this.bucketCount) {
      throw new ScorerSnapshotError(
        `"seasonal" snapshot has ${state.buckets.length} buckets, this configuration has ${this.bucketCount}`,
      );
    }
    this.global = new RobustBaseline(config, state?.global);
    const bucketOptions = { ...config, halfLife: config.bucketHalfLife };
    this.buckets = Array.from(
      { length: this.bucketCount },
      (_, i) => new RobustBaseline(bucketOptions, state?.buckets[i]),
    );
  }

  update(value: number, timestampMs: number): ScoreResult {
    const bucket = this.buckets[this.bucketIndex(timestampMs)];
    const ready = this.global.samples >= this.config.warmup;
    const weight = bucket === undefined ? 0 : bucket.samples / (bucket.samples + this.config.blend);
    const expected = bucket === undefined ? this.global.expected : mix(bucket.expected, this.global.expected, weight);
    const spread = bucket === undefined ? this.global.spread : mix(bucket.spread, this.global.spread, weight);
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return { score: 0, expected, spread, ready };
    const surprise = directedSurprise((value - expected) / spread, this.config.direction);
    this.global.absorb(value);
    bucket?.absorb(value);
    return { score: ready ? surpriseToScore(surprise, this.config.zAlarm) : 0, expected, spread, ready };
  }

  private bucketIndex(timestampMs: number): number {
    // Buckets are counted from the epoch: they only need to partition the period consistently, so
    // neither the time zone nor the weekday the epoch fell on matters (a zone offset that is a
    // multiple of the bucket width would only relabel the same buckets).
    const slot = Math.floor(timestampMs / this.bucketMs);
    return ((slot % this.bucketCount) + this.bucketCount) % this.bucketCount;
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: { global: this.global.state(), buckets: this.buckets.map((b) => b.state()) },
    };
  }
}

function mix(a: number, b: number, weightOfA: number): number {
  return weightOfA * a + (1 - weightOfA) * b;
}
