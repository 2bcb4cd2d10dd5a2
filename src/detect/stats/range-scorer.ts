import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { halfLifeToAlpha } from './robust-baseline.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `range` algorithm. */
export const rangeSchema = z
  .object({
    type: z.literal('range'),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(30),
    /**
     * Half-life, in observations, over which the remembered extremes relax towards the typical
     * level, so a record set long ago stops defining "normal" for ever.
     */
    halfLife: z.number().positive().default(5000),
    /** Excess beyond the remembered range, as a fraction of the range's width, that scores 0.5. */
    tolerance: z.number().positive().default(0.1),
    direction: z.enum(['up', 'down', 'both']).default('both'),
  })
  .strict();

/** Parameters of the `range` algorithm, defaults applied. */
export type RangeConfig = z.infer<typeof rangeSchema>;

const ALGORITHM = 'range';
const VERSION = 1;
const stateSchema = z
  .object({ count: z.number().int().min(0), mean: z.number(), low: z.number(), high: z.number() })
  .strict();

/**
 * Novelty of level: how far an observation goes beyond the range of everything seen before,
 * relative to that range's width. The check Numenta's detector adds as "spatial anomaly": a value
 * the series has never come close to is suspicious however its noise looks.
 */
export class RangeScorer implements StreamScorer {
  private readonly alpha: number;
  private count: number;
  private mean: number;
  private low: number;
  private high: number;

  constructor(
    private readonly config: RangeConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    this.alpha = halfLifeToAlpha(config.halfLife);
    this.count = state?.count ?? 0;
    this.mean = state?.mean ?? 0;
    this.low = state?.low ?? 0;
    this.high = state?.high ?? 0;
  }

  update(value: number): ScoreResult {
    const ready = this.count >= this.config.warmup;
    const expected = this.mean;
    const spread = this.high - this.low;
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    const width = Math.max(spread, 1e-9 * Math.max(Math.abs(this.high), Math.abs(this.low), 1));
    const above = this.config.direction === 'down' ? 0 : Math.max(0, value - this.high) / width;
    const below = this.config.direction === 'up' ? 0 : Math.max(0, this.low - value) / width;
    this.absorb(value);
    return { score: ready ? surpriseToScore(Math.max(above, below), this.config.tolerance) : 0, expected, spread, ready };
  }

  private absorb(value: number): void {
    if (this.count === 0) {
      this.count = 1;
      this.mean = value + 0;
      this.low = value + 0;
      this.high = value + 0;
      return;
    }
    const mean = this.mean + Math.max(this.alpha, 1 / (this.count + 1)) * (value - this.mean);
    // Extremes relax towards the mean, then take in the new value.
    const high = Math.max(value, mean + (this.high - mean) * (1 - this.alpha));
    const low = Math.min(value, mean - (mean - this.low) * (1 - this.alpha));
    // Values near the limits of double precision could overflow the differences above; such an
    // observation is scored but not learnt, so the state stays finite and serialisable.
    if (!Number.isFinite(mean) || !Number.isFinite(high) || !Number.isFinite(low)) return;
    this.count += 1;
    this.mean = mean;
    this.high = high;
    this.low = low;
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: { count: this.count, mean: this.mean, low: this.low, high: this.high },
    };
  }
}
